import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

extension HTTPServer {
    /// Why the server could not listen on the config's address (`Address already in use`), found
    /// by binding it for a moment; nil when it can. `kiln run` asks before it starts anything,
    /// so that a taken port is one clear line, not a gateway that starts and stops.
    public static func listenProblem(_ config: HTTPConfig) -> String? {
        let v6 = config.host.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc: Int32
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(config.port).bigEndian
            guard inet_pton(AF_INET6, config.host, &address.sin6_addr) == 1 else { return "not an IPv6 address" }
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(config.port).bigEndian
            guard inet_pton(AF_INET, config.host, &address.sin_addr) == 1 else { return "not an IPv4 address" }
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard rc == 0 else { return String(cString: strerror(errno)) }
        guard listen(fd, 1) == 0 else { return String(cString: strerror(errno)) }
        return nil
    }
}
