import Foundation
import KilnAlarms
import KilnCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `kind: exec`: runs a local program with the event JSON on its stdin, never through a shell.
///
/// The program is started with posix_spawn in a process group of its own; at the timeout the
/// whole group gets SIGKILL (a child it forked dies with it). Exit 0 is delivered; anything else
/// is retried. stdout and stderr are kept up to 4 KiB each for the log and `kiln hooks test`.
/// The environment is minimal: PATH, LANG=C.UTF-8, KILN_HOOK, KILN_EVENT_ID, KILN_EPISODE,
/// KILN_TRANSITION.
public struct ExecSender: HookTransport {
    let hook: String
    let command: [String]
    let timeout: Duration
    static let outputLimit = 4096

    public init(hook: String, command: [String], timeout: Duration) {
        self.hook = hook
        self.command = command
        self.timeout = timeout
    }

    public func deliver(_ row: OutboxRow, now: Int64) async -> DeliveryOutcome {
        let event = AlarmEvent(json: row.body)
        let environment = [
            "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "KILN_HOOK=\(hook)", "KILN_EVENT_ID=\(row.event)",
            "KILN_EPISODE=\(row.episode)", "KILN_TRANSITION=\(event?.transition.rawValue ?? "")",
        ]
        let command = self.command
        let timeout = self.timeout
        let body = row.body
        return await withCheckedContinuation { (continuation: CheckedContinuation<DeliveryOutcome, Never>) in
            // The run blocks (poll and waitpid): a thread of its own, off Swift's cooperative pool.
            let thread = Thread {
                continuation.resume(
                    returning: ProcessRun.run(command: command, environment: environment, stdin: body, timeout: timeout)
                        .outcome)
            }
            thread.name = "kiln-hook-exec"
            thread.start()
        }
    }
}

/// One run of a program: spawn, feed stdin, collect output, wait or kill at the deadline.
struct ProcessRun {
    var status: Int32?
    var signal: Int32?
    var timedOut = false
    var stdout: [UInt8] = []
    var stderr: [UInt8] = []
    var spawnError: String?

    var outcome: DeliveryOutcome {
        let out = String(decoding: stdout, as: UTF8.self)
        let err = String(decoding: stderr, as: UTF8.self)
        if let spawnError { return .retry(error: spawnError, retryAfter: nil) }
        if timedOut { return .retry(error: "timed out; its process group was killed. stderr: \(err)", retryAfter: nil) }
        if status == 0 { return .delivered(answer: out) }
        if let signal { return .retry(error: "killed by signal \(signal). stderr: \(err)", retryAfter: nil) }
        return .retry(error: "exit status \(status ?? -1). stderr: \(err)", retryAfter: nil)
    }

    static func run(command: [String], environment: [String], stdin input: [UInt8], timeout: Duration)
        -> ProcessRun
    {
        var result = ProcessRun()
        guard let program = command.first else {
            result.spawnError = "the exec hook has no command"
            return result
        }
        var inPipe: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        // pipe2(O_CLOEXEC) does not import: close-on-exec right after pipe(), under a lock so
        // no other exec hook spawns in between and inherits these ends.
        let piped = spawnLock.withLock { _ -> Bool in
            guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { return false }
            for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return true
        }
        guard piped else {
            result.spawnError = "pipe: \(String(cString: strerror(errno)))"
            for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) }
            return result
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (pgid = its pid), so the timeout kills everything it started;
        // default signal handling and an empty mask, whatever Kiln's threads block.
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { for p in argv + envp { free(p) } }
        let rc = spawnLock.withLock { _ in posix_spawn(&pid, program, &actions, &attributes, argv, envp) }
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1])
            close(outPipe[0])
            close(errPipe[0])
            result.spawnError = "cannot run \(program): \(String(cString: strerror(rc)))"
            return result
        }

        var stdinFD = inPipe[1]
        var outFD = outPipe[0]
        var errFD = errPipe[0]
        for fd in [stdinFD, outFD, errFD] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        var written = 0
        if input.isEmpty {
            close(stdinFD)
            stdinFD = -1
        }
        let deadline = monotonicMicros() + timeout.micros
        var exited = false
        var exitedAt: Int64 = 0
        var waitStatus: Int32 = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if !exited, waitpid(pid, &waitStatus, WNOHANG) == pid {
                exited = true
                exitedAt = monotonicMicros()
            }
            // Done once the program exited and its output is drained (or its pipes linger in a
            // child it left behind: that child's group is killed below).
            if exited && outFD < 0 && errFD < 0 { break }
            let now = monotonicMicros()
            if now >= deadline {
                if !exited { result.timedOut = true }
                break
            }
            var fds: [pollfd] = []
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            if outFD >= 0 { fds.append(pollfd(fd: outFD, events: Int16(POLLIN), revents: 0)) }
            if errFD >= 0 { fds.append(pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)) }
            // Wake at least every 10 ms to see an exit while a grandchild holds the pipes open.
            let wait = Int32(min(10, max(1, (deadline - now) / 1000)))
            _ = poll(&fds, nfds_t(fds.count), wait)
            for p in fds where p.revents != 0 {
                if p.fd == stdinFD {
                    let n = input.withUnsafeBytes { write(stdinFD, $0.baseAddress! + written, input.count - written) }
                    if n > 0 { written += n }
                    if n < 0 && errno != EAGAIN && errno != EINTR || written == input.count {
                        close(stdinFD)
                        stdinFD = -1
                    }
                } else {
                    let n = buffer.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                    if n > 0 {
                        if p.fd == outFD {
                            result.stdout += buffer.prefix(max(0, min(n, outputLimit - result.stdout.count)))
                        } else {
                            result.stderr += buffer.prefix(max(0, min(n, outputLimit - result.stderr.count)))
                        }
                    } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                        close(p.fd)
                        if p.fd == outFD { outFD = -1 } else { errFD = -1 }
                    }
                }
            }
            // A child left behind holds the pipes: 100 ms to drain, then its group is killed.
            if exited && monotonicMicros() >= exitedAt + 100_000 { break }
        }
        if result.timedOut || !exited || outFD >= 0 || errFD >= 0 {
            // The whole group: the program and anything it forked.
            kill(-pid, SIGKILL)
        }
        if !exited {
            while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
        }
        for fd in [stdinFD, outFD, errFD] where fd >= 0 { close(fd) }
        if !result.timedOut {
            if waitStatus & 0x7f == 0 {
                result.status = (waitStatus >> 8) & 0xff
            } else {
                result.signal = waitStatus & 0x7f
            }
        }
        return result
    }

    static let outputLimit = ExecSender.outputLimit
    private static let spawnLock = Mutex(())

    static func monotonicMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}
