import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What systemd would receive: an AF_UNIX datagram socket bound by the test (at a path, or in
/// the abstract namespace), read on a thread of its own, every datagram kept with its arrival.
final class NotifySocket: Sendable {
    struct Message: Sendable {
        var at: ContinuousClock.Instant
        var lines: [String]

        func has(_ line: String) -> Bool { lines.contains(line) }
        var status: String? { lines.first { $0.hasPrefix("STATUS=") }.map { String($0.dropFirst(7)) } }
    }

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    /// What `NOTIFY_SOCKET` is set to for the child: the path, or `@name`.
    let name: String
    private let fd: Int32
    private let received = Mutex<[Message]>([])
    private let closed = Atomic<Bool>(false)

    /// - Parameter name: a socket path, or `@name` for an abstract socket.
    init(name: String) throws {
        self.name = name
        var path = Array(name.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + path.count + (abstract ? 0 : 1))
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SetupError(description: "socket: \(String(cString: strerror(errno)))") }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard rc == 0 else {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw SetupError(description: "bind \(name): \(message)")
        }
        // A receive timeout lets the reader notice `close()`.
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.fd = fd
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !closed.load(ordering: .acquiring) {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { continue }
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                let message = Message(
                    at: .now, lines: text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init))
                received.withLock { $0.append(message) }
            }
            Glibc.close(fd)
        }
    }

    /// Stops the reader, which closes the socket.
    func close() { closed.store(true, ordering: .releasing) }

    deinit { close() }

    var messages: [Message] { received.withLock { $0 } }

    /// Waits up to `timeout` for a message with `line`; returns the first.
    func waitFor(_ line: String, after start: Int = 0, timeout: Duration) -> (index: Int, message: Message)? {
        var found: (Int, Message)?
        _ = Poll.until(timeout: timeout, interval: .milliseconds(20)) {
            let all = messages
            if start < all.count, let i = all[start...].firstIndex(where: { $0.has(line) }) { found = (i, all[i]) }
            return found != nil
        }
        return found
    }
}

/// Stops one thread of another process for real (ptrace: only the traced thread stops, the
/// rest of the process runs on), until ``release()``: a poller thread stuck as a hung system
/// call or a livelock would leave it. python3's ctypes does the ptrace calls (variadic in C,
/// so Swift cannot call `ptrace` itself).
final class ThreadFreezer: Sendable {
    static let script = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
        pid = int(sys.argv[1])
        for tid in map(int, sys.argv[2:]):
            if libc.ptrace(0x4206, tid, None, None) != 0:
                sys.exit("PTRACE_SEIZE %d: %s" % (tid, os.strerror(ctypes.get_errno())))
            if libc.ptrace(0x4207, tid, None, None) != 0:
                sys.exit("PTRACE_INTERRUPT %d: %s" % (tid, os.strerror(ctypes.get_errno())))
            os.waitpid(tid, 0x40000000)
            state = open("/proc/%d/task/%d/stat" % (pid, tid)).read().rsplit(")", 1)[1].split()[0]
            print("stopped", tid, state, flush=True)
        sys.stdin.read()
        for tid in map(int, sys.argv[2:]):
            libc.ptrace(17, tid, None, 0)
        print("released", flush=True)
        """

    let child: ChildProcess

    /// Stops the threads `tids` of process `pid`; returns once each is in a tracing stop.
    init(pid: pid_t, tids: [Int]) throws {
        child = try ChildProcess(["python3", "-c", Self.script, "\(pid)"] + tids.map(String.init))
        let stopped = Poll.until(timeout: .seconds(20)) {
            child.stdout.lines.filter { $0.hasPrefix("stopped ") }.count == tids.count || child.stdout.isFinished
        }
        let lines = child.stdout.lines
        guard stopped, lines.filter({ $0.hasSuffix(" t") }).count == tids.count else {
            child.stop()
            child.waitForOutput()
            throw NotifySocket.SetupError(
                description: "could not stop threads \(tids): \(child.stdout.text) \(child.stderr.text)")
        }
    }

    /// Lets the threads run again.
    func release() {
        child.closeStandardInput()
        _ = child.wait(timeout: .seconds(10))
    }

    /// The threads of `pid` named `name` (`/proc/PID/task/*/comm`).
    static func threads(of pid: pid_t, named name: String) -> [Int] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { tid in
            let comm = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8)
            return comm?.trimmingCharacters(in: .whitespacesAndNewlines) == name ? Int(tid) : nil
        }.sorted()
    }
}
