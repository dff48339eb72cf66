import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Binding a loopback port failed.
public struct PortError: Error, CustomStringConvertible {
    public var description: String { "cannot bind a loopback port" }
}

/// A loopback TCP port nobody listens on right now, below Linux's ephemeral range
/// (32768–60999): a port from that range can be taken between this call and the test's own
/// `listen` by the local end of any outgoing connection (a test's HTTP client, a poller), and a
/// parallel test then fails with "Address already in use". Random, bind-checked, and never the
/// same port twice in one test process: two parallel tests that drew the same free port, each
/// before the other listened on it, failed one CI run (a simulator of PageTests).
public func freePort() throws -> Int {
    for _ in 0..<500 {
        let port = Int.random(in: 20_000..<32_768)
        guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
        if canBind(port) { return port }
    }
    throw PortError()
}

/// Every port ``freePort()`` has handed out (or found taken) in this process.
private let handedOut = Mutex<Set<Int>>([])

private func canBind(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
