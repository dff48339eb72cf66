import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How a child process ended.
enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// Decodes a `waitpid` status (the `WIFEXITED` family are macros Swift cannot import).
    init(waitStatus status: Int32) {
        if status & 0x7F == 0 {
            self = .exited((status >> 8) & 0xFF)
        } else {
            self = .signaled(status & 0x7F)
        }
    }

    var description: String {
        switch self {
        case .exited(let code): "exit \(code)"
        case .signaled(let signo): "signal \(signo)"
        }
    }
}

/// Everything one output stream of a child has written so far, read on a dedicated thread so a
/// chatty child never blocks on a full pipe.
final class OutputCapture: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var finished = false
    }
    private let state = Mutex(State())

    /// Starts draining `fd` (which the capture then owns) on a thread of its own.
    func drain(_ fd: Int32) {
        Thread.detachNewThread { [self] in
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                state.withLock { $0.bytes += chunk[0..<n] }
            }
            close(fd)
            state.withLock { $0.finished = true }
        }
    }

    var text: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }

    /// Complete lines so far (a last line without its newline is left out until the stream ends).
    var lines: [String] {
        state.withLock { state in
            var lines = String(decoding: state.bytes, as: UTF8.self).split(
                separator: "\n", omittingEmptySubsequences: false
            ).map(String.init)
            if !state.finished || lines.last == "" { lines.removeLast() }
            return lines
        }
    }

    /// True once the child closed the stream (normally: it exited).
    var isFinished: Bool { state.withLock { $0.finished } }
}

/// A child process with its standard input held open on a pipe and its standard output and
/// error captured.
///
/// The child is killed and reaped when the object goes away, so a failing test never leaves
/// processes behind. Its standard input stays open until then: peers that watch it (the
/// pymodbus test server) also exit when the test process dies.
final class ChildProcess: Sendable {
    let pid: pid_t
    let command: [String]
    let stdout = OutputCapture()
    let stderr = OutputCapture()
    private let stdinFD: Mutex<Int32>
    private let status = Mutex<ExitStatus?>(nil)

    struct SpawnError: Error, CustomStringConvertible {
        var command: [String]
        var code: Int32
        var description: String { "cannot start \(command.joined(separator: " ")): \(String(cString: strerror(code)))" }
    }

    /// Starts `arguments[0]` (looked up in PATH when it has no slash) with the rest as arguments.
    init(_ arguments: [String]) throws {
        command = arguments
        let (child, stdinWrite, stdoutRead, stderrRead) = try ChildProcess.spawnLock.withLock { _ in
            try ChildProcess.spawn(arguments)
        }
        pid = child
        stdinFD = Mutex(stdinWrite)
        stdout.drain(stdoutRead)
        stderr.drain(stderrRead)
    }

    /// Held while pipes are made and a child spawned: `pipe2(O_CLOEXEC)` does not import, so
    /// close-on-exec is set just after `pipe()`, and no other test may spawn in between, or
    /// a pipe end would leak into its child (and that pipe's end of file would never come).
    private static let spawnLock = Mutex(())

    private static func spawn(_ arguments: [String]) throws -> (pid_t, Int32, Int32, Int32) {
        var pipes: [[Int32]] = []
        func closeAll() { for fd in pipes.joined() { close(fd) } }
        for _ in 0..<3 {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else {
                let code = errno
                closeAll()
                throw SpawnError(command: arguments, code: code)
            }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            pipes.append(fds)
        }
        let (stdin, out, err) = (pipes[0], pipes[1], pipes[2])

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin[0], 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)

        // The child starts with no blocked signals and default handlers, whatever the test
        // runner's thread had: `kiln run` must see SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signo in [SIGTERM, SIGINT, SIGPIPE, SIGUSR1, SIGUSR2, SIGHUP] { sigaddset(&defaults, signo) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawnp(&child, arguments[0], &actions, &attributes, &argv, environ)
        close(stdin[0])
        close(out[1])
        close(err[1])
        guard rc == 0 else {
            close(stdin[1])
            close(out[0])
            close(err[0])
            throw SpawnError(command: arguments, code: rc)
        }
        return (child, stdin[1], out[0], err[0])
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            _ = wait(timeout: .seconds(5))
        }
        closeStandardInput()
    }

    /// Closes the child's standard input (it reads end of file).
    func closeStandardInput() {
        stdinFD.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    /// Sends `signo` unless the child was already reaped.
    func signal(_ signo: Int32) {
        if exitStatus == nil { kill(pid, signo) }
    }

    /// The exit status, once reaped.
    var exitStatus: ExitStatus? { status.withLock { $0 } }

    /// Waits up to `timeout` for the child to end; nil if it is still running.
    func wait(timeout: Duration) -> ExitStatus? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let result: ExitStatus?? = status.withLock { known in
                if let known { return known }
                var raw: Int32 = 0
                let rc = waitpid(pid, &raw, WNOHANG)
                if rc == pid {
                    known = ExitStatus(waitStatus: raw)
                    return known
                }
                if rc == -1, errno != EINTR { return .some(nil) }  // not our child any more
                return nil
            }
            if let result { return result }
            if ContinuousClock.now >= deadline { return nil }
            usleep(2000)
        }
    }

    /// Asks the child to stop (SIGTERM), then kills it if it is still there after `grace`.
    @discardableResult
    func stop(grace: Duration = .seconds(2)) -> ExitStatus? {
        signal(SIGTERM)
        if let status = wait(timeout: grace) { return status }
        signal(SIGKILL)
        return wait(timeout: .seconds(5))
    }

    /// Waits for both output streams to close, so their capture is complete.
    func waitForOutput(timeout: Duration = .seconds(5)) {
        _ = Poll.until(timeout: timeout) { stdout.isFinished && stderr.isFinished }
    }

    /// Waits until a line of standard output satisfies `predicate` (or the child exits).
    func waitForLine(timeout: Duration, where predicate: (String) -> Bool) -> String? {
        var found: String?
        _ = Poll.until(timeout: timeout) {
            found = stdout.lines.first(where: predicate)
            return found != nil || stdout.isFinished
        }
        return found ?? stdout.lines.first(where: predicate)
    }
}

/// Polls a condition instead of sleeping a fixed time.
enum Poll {
    /// Checks `condition` every `interval` until it holds or `timeout` passes; returns whether it held.
    static func until(
        timeout: Duration, interval: Duration = .milliseconds(5), _ condition: () throws -> Bool
    ) rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if try condition() { return true }
            if ContinuousClock.now >= deadline { return false }
            let (seconds, attoseconds) = interval.components
            var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            nanosleep(&ts, nil)
        }
    }
}
