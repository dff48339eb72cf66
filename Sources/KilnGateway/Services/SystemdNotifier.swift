import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// systemd's notification protocol without libsystemd: datagrams of `KEY=value` lines sent to
/// the AF_UNIX socket named by `NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace),
/// as `sd_notify(3)` sends them.
///
/// `@unchecked Sendable`: `fd` and `address` are set once in `init` and only read afterwards;
/// `sendto` on one datagram socket from several threads is safe, each datagram whole.
public final class SystemdNotifier: @unchecked Sendable {
    /// Where the datagrams go, as `NOTIFY_SOCKET` gave it.
    public let socketName: String
    /// `WATCHDOG_USEC`, when the watchdog is enabled for this process; the service then sends
    /// `WATCHDOG=1` every half of it while polling makes progress.
    public let watchdog: Duration?
    private let fd: Int32
    private let address: sockaddr_un
    private let addressLength: socklen_t
    private let logger: Logger
    private let failedOnce = Atomic<Bool>(false)

    /// The notifier `kiln run` gets from its environment: nil without `NOTIFY_SOCKET` (not
    /// started by systemd, or `Type=` other than notify). `NOTIFY_SOCKET`, `WATCHDOG_USEC` and
    /// `WATCHDOG_PID` are removed from the environment, so that the programs Kiln starts (ssh,
    /// exec hooks) do not take them for their own.
    public static func fromEnvironment(logger: Logger) -> SystemdNotifier? {
        func take(_ name: String) -> String? {
            guard let value = getenv(name) else { return nil }
            let text = String(cString: value)
            unsetenv(name)
            return text
        }
        let socketName = take("NOTIFY_SOCKET")
        let usec = take("WATCHDOG_USEC")
        let pid = take("WATCHDOG_PID")
        guard let socketName, !socketName.isEmpty else { return nil }
        var watchdog: Duration?
        if let usec {
            if let micros = Int64(usec), micros > 0 {
                // WATCHDOG_PID names the process the watchdog is for; another process's is not ours.
                if pid == nil || Int32(pid!) == getpid() { watchdog = .microseconds(micros) }
            } else {
                logger.warning(
                    "WATCHDOG_USEC is not a positive number; no watchdog pings", metadata: ["kiln.value": "\(usec)"])
            }
        }
        do {
            return try SystemdNotifier(socket: socketName, watchdog: watchdog, logger: logger)
        } catch {
            logger.warning("cannot notify systemd", metadata: ["kiln.error": "\(error)"])
            return nil
        }
    }

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    /// - Parameters:
    ///   - socket: a socket path, or `@name` for an abstract one.
    ///   - watchdog: the watchdog interval, nil when it is not enabled.
    init(socket name: String, watchdog: Duration?, logger: Logger) throws {
        socketName = name
        self.watchdog = watchdog
        self.logger = logger
        var path = Array(name.utf8)
        guard path.first == UInt8(ascii: "/") || path.first == UInt8(ascii: "@") else {
            throw SetupError(description: "NOTIFY_SOCKET '\(name)' is neither a path nor @abstract")
        }
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        var address = sockaddr_un()
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SetupError(description: "NOTIFY_SOCKET '\(name)' is longer than a socket address holds")
        }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        self.address = address
        // A path is sent with its terminating NUL (zeroed above), an abstract name without one.
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + path.count + (abstract ? 0 : 1)
        addressLength = socklen_t(length)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw SetupError(description: "cannot create a datagram socket: \(String(cString: strerror(errno)))")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends one datagram of `KEY=value` lines; true when it was sent. A failure is logged
    /// once (systemd gone, the socket removed): notifying is never worth stopping for.
    @discardableResult
    public func send(_ lines: [String]) -> Bool {
        let message = Array(lines.joined(separator: "\n").utf8)
        let sent = message.withUnsafeBytes { bytes in
            withUnsafePointer(to: address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, addressLength)
                }
            }
        }
        if sent == message.count { return true }
        let code = errno
        if !failedOnce.exchange(true, ordering: .relaxed) {
            logger.warning(
                "cannot notify systemd",
                metadata: ["kiln.socket": "\(socketName)", "kiln.error": "\(String(cString: strerror(code)))"])
        }
        return false
    }
}
