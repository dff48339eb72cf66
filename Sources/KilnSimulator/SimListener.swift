import CModbus
import Foundation

/// A listening socket of the simulator and the thread that accepts its connections.
enum SimListener {
    /// Opens a listening socket with libmodbus (`modbus_tcp_pi_listen`, which resolves names and
    /// IPv6 addresses too).
    ///
    /// - Parameters:
    ///   - address: the address to bind, e.g. `127.0.0.1`, `0.0.0.0` or `::1`.
    ///   - port: the port; 0 lets the kernel pick a free one.
    /// - Returns: the socket and the port it is bound to.
    static func open(address: String, port: Int, backlog: Int) throws(SimulatorError) -> (socket: Int32, port: Int) {
        guard let context = modbus_new_tcp_pi(address, String(port)) else {
            let code = errno
            throw SimulatorError(
                .listenFailed, "cannot listen on \(address):\(port): \(String(cString: modbus_strerror(code)))")
        }
        defer { modbus_free(context) }
        let socket = modbus_tcp_pi_listen(context, Int32(backlog))
        guard socket >= 0 else {
            let code = errno
            let hint = code == EADDRINUSE ? " (is another simulator or server running there?)" : ""
            throw SimulatorError(
                .listenFailed,
                "cannot listen on \(address):\(port): \(String(cString: modbus_strerror(code)))\(hint)")
        }
        _ = fcntl(socket, F_SETFD, FD_CLOEXEC)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let bound = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        guard bound == 0 else { return (socket, port) }
        let networkPort: UInt16 =
            switch Int32(storage.ss_family) {
            case AF_INET: withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in.self).sin_port }
            case AF_INET6: withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in6.self).sin6_port }
            default: UInt16(port).bigEndian
            }
        return (socket, Int(UInt16(bigEndian: networkPort)))
    }

    /// Accepts connections until the socket is shut down, starting a thread for each.
    static func acceptLoop(socket listener: Int32, route: SimPortRoute, runtime: SimRuntime) {
        while true {
            let socket = accept(listener, nil, nil)
            if socket < 0 {
                let code = errno
                if runtime.isStopping { return }
                switch code {
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors or memory: let connections end, then try again.
                    usleep(10_000)
                    continue
                default: return
                }
            }
            if runtime.isStopping {
                close(socket)
                return
            }
            _ = fcntl(socket, F_SETFD, FD_CLOEXEC)
            configure(socket)
            let connection = SimConnection(socket: socket, id: runtime.connectionID(), route: route, runtime: runtime)
            runtime.threadStarting()
            let started = SimThread.spawn(name: "kiln-sim-conn", stackSize: 256 * 1024, detached: true) {
                connection.run()
            }
            if case .failure = started {
                runtime.threadEnded()
                close(socket)
            }
        }
    }

    /// Replies go out at once (no Nagle delay), and a client that stops reading cannot block a
    /// connection thread — which may hold its device's lock while sending — for long.
    private static func configure(_ socket: Int32) {
        var on: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }
}
