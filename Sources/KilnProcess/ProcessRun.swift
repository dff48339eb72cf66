import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One run of a program, never through a shell: spawn it (posix_spawn, a process group of its
/// own), feed its stdin, keep the head and tail of its output, wait for it or kill its whole
/// group at the deadline.
///
/// `run` blocks the calling thread (poll and waitpid): call it from a thread of its own, off
/// Swift's cooperative pool.
public struct ProcessRun: Sendable {
    /// The exit status, when it exited.
    public var status: Int32?
    /// The signal that ended it, when one did (not the timeout's).
    public var signal: Int32?
    /// It was still running at the deadline: its group got SIGKILL.
    public var timedOut = false
    public var stdout = CapturedOutput()
    public var stderr = CapturedOutput()
    /// Why it could not be started (no pipe, no such program).
    public var spawnError: String?
    /// Its pid (its process group's id too), 0 when it never started.
    public var pid: Int32 = 0

    public init() {}

    /// Runs `command` (`command[0]` an absolute path) to its end or `timeout`.
    /// - Parameters:
    ///   - command: the argv; the program is not looked up in PATH.
    ///   - environment: its whole environment (`NAME=value`).
    ///   - input: written to its stdin, then closed; empty: stdin is /dev/null.
    ///   - timeout: past it the program and everything in its process group are killed.
    ///   - outputLimit: bytes kept at each end of stdout and stderr.
    public static func run(
        command: [String], environment: [String], stdin input: [UInt8] = [], timeout: Duration,
        outputLimit: Int = CapturedOutput.limit
    ) -> ProcessRun {
        var result = ProcessRun()
        guard let program = command.first else {
            result.spawnError = "no command to run"
            return result
        }
        var inPipe: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        // pipe2(O_CLOEXEC) does not import: close-on-exec right after pipe(), under a lock so
        // no other run spawns in between and inherits these ends.
        let piped = spawnLock.withLock { _ -> Bool in
            if !input.isEmpty {
                guard pipe(&inPipe) == 0 else { return false }
            }
            guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { return false }
            for fd in inPipe + outPipe + errPipe where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
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
        if input.isEmpty {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        } else {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        }
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
        if inPipe[0] >= 0 { close(inPipe[0]) }
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            if inPipe[1] >= 0 { close(inPipe[1]) }
            close(outPipe[0])
            close(errPipe[0])
            result.spawnError = "cannot run \(program): \(String(cString: strerror(rc)))"
            return result
        }
        result.pid = pid

        var stdinFD = inPipe[1]
        var outFD = outPipe[0]
        var errFD = errPipe[0]
        for fd in [stdinFD, outFD, errFD] where fd >= 0 { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        var written = 0
        let deadline = monotonicMicros() + timeout.micros
        var exited = false
        var exitedAt: Int64 = 0
        var waitStatus: Int32 = 0
        var buffer = [UInt8](repeating: 0, count: 16384)
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
                            result.stdout.append(buffer.prefix(n), limit: outputLimit)
                        } else {
                            result.stderr.append(buffer.prefix(n), limit: outputLimit)
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
            // The whole group: the program and anything it forked (a child that left the group
            // with setsid, like ssh's backgrounded master, is not in it).
            kill(-pid, SIGKILL)
        }
        if !exited {
            while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
        }
        for fd in [stdinFD, outFD, errFD] where fd >= 0 { close(fd) }
        result.stdout.finish(limit: outputLimit)
        result.stderr.finish(limit: outputLimit)
        if !result.timedOut {
            if waitStatus & 0x7f == 0 {
                result.status = (waitStatus >> 8) & 0xff
            } else {
                result.signal = waitStatus & 0x7f
            }
        }
        return result
    }

    private static let spawnLock = Mutex(())

    /// CLOCK_MONOTONIC in µs.
    public static func monotonicMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// CLOCK_REALTIME in µs since the Unix epoch.
    public static func wallMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}

extension Duration {
    /// Whole microseconds (rounded down), for deadlines.
    fileprivate var micros: Int64 {
        let (s, a) = components
        return s * 1_000_000 + a / 1_000_000_000_000
    }
}
