import KilnTestSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Loopback sockets the tests choose and release themselves.
enum Loopback {
    static let host = "127.0.0.1"

    struct SocketError: Error, CustomStringConvertible {
        var what: String
        var code: Int32
        var description: String { "\(what): \(String(cString: strerror(code)))" }
    }

    /// A TCP socket bound to 127.0.0.1 on a port the kernel picks; returns the descriptor and port.
    static func bindAnyPort() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(what: "socket", code: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr(host)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw SocketError(what: "bind 127.0.0.1:0", code: code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A blocking TCP connection to 127.0.0.1:`port`.
    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(what: "socket", code: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let code = errno
            close(fd)
            throw SocketError(what: "connect 127.0.0.1:\(port)", code: code)
        }
        return fd
    }

    /// A port nobody listens on right now, outside the ephemeral range (see `freePort`):
    /// connecting to it is refused, and no outgoing connection takes it before a test listens.
    static func unusedPort() throws -> Int { try freePort() }
}

/// A listening socket that never accepts: connecting succeeds (the kernel completes the
/// handshake into the backlog) but no request is ever answered, like a hung device.
///
/// With `backlogFull`, the one-place backlog is filled by a connection of its own, so the
/// kernel drops further handshakes and connecting times out, like a device that is off the
/// network.
final class SilentListener: Sendable {
    let port: Int
    /// The listening socket and the connection that fills its backlog (-1 when none or closed).
    private let sockets: Mutex<(listener: Int32, filler: Int32)>

    init(backlogFull: Bool = false) throws {
        let (fd, port) = try Loopback.bindAnyPort()
        guard listen(fd, backlogFull ? 0 : 16) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw Loopback.SocketError(what: "listen", code: code)
        }
        self.port = port
        do {
            sockets = Mutex((fd, backlogFull ? try Loopback.connect(port: port) : -1))
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { close() }

    /// Stops listening. Tests call it in a `defer`, which also keeps the listener alive to the
    /// end of the test.
    func close() {
        sockets.withLock { sockets in
            for fd in [sockets.filler, sockets.listener] where fd >= 0 { Glibc.close(fd) }
            sockets = (-1, -1)
        }
    }
}
