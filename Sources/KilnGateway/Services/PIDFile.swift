#if canImport(Glibc)
    import Glibc
#endif

/// The single-instance lock of `kiln run`: an exclusive `flock` on the config's `pid_file`,
/// held by a descriptor open for the life of the process, with the holder's PID written in it.
///
/// The kernel drops the lock when the process ends however it ends (crash, `kill -9`, power
/// cut), so a stale file never blocks a start: the next instance takes the lock and writes its
/// own PID. The file is left in place at exit: removing it would let a starting instance lock
/// a file that is then unlinked under it, while a third creates a new one.
///
/// `@unchecked Sendable`: `fd` is set once in `init` and only closed in `deinit`.
public final class PIDFile: @unchecked Sendable {
    /// Why the lock was not taken.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// The PID in the file when another process holds the lock (nil when it holds it but
        /// has not written its PID yet, or on any other failure).
        public var holder: Int32?
        public var description: String
    }

    public let path: String
    private let fd: Int32

    /// Opens (creating with mode 0644) and locks `path`, then writes this process's PID in it.
    public init(path: String) throws(Failure) {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw Failure(holder: nil, description: Self.openProblem(path, code: code))
        }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
            close(fd)
            throw Failure(holder: nil, description: "pid_file '\(path)' is not a regular file")
        }
        var rc: Int32
        repeat { rc = flock(fd, LOCK_EX | LOCK_NB) } while rc != 0 && errno == EINTR
        if rc != 0 {
            let code = errno
            defer { close(fd) }
            guard code == EWOULDBLOCK else {
                throw Failure(
                    holder: nil, description: "pid_file '\(path)': cannot lock: \(String(cString: strerror(code)))")
            }
            let holder = Self.readPID(fd)
            let who = holder.map { "another kiln run (PID \($0))" } ?? "another kiln run (PID not yet written)"
            throw Failure(
                holder: holder,
                description: "\(who) already runs this gateway: it holds the lock on pid_file '\(path)'; "
                    + "stop it first, or give this one another historian and pid_file")
        }
        let text = Array("\(getpid())\n".utf8)
        let written = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard ftruncate(fd, off_t(text.count)) == 0, written == text.count else {
            let code = errno
            close(fd)
            throw Failure(
                holder: nil, description: "pid_file '\(path)': cannot write the PID: \(String(cString: strerror(code)))"
            )
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// The PID written in the file open at `fd`, if any.
    static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
        return Int32(text.split(whereSeparator: { $0 == "\n" || $0 == " " }).first ?? "")
    }

    /// A message for `open`'s failure with errno `code`, saying what to do.
    static func openProblem(_ path: String, code: Int32) -> String {
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let reason = String(cString: strerror(code))
        switch code {
        case ENOENT:
            return "pid_file '\(path)': its folder '\(folder.isEmpty ? "/" : folder)' does not exist; "
                + "create it or change 'pid_file'"
        case EACCES, EPERM, EROFS:
            return "pid_file '\(path)' cannot be created or opened for writing (\(reason)): give the user "
                + "running Kiln write access to '\(folder.isEmpty ? "/" : folder)', or change 'pid_file'"
        case EISDIR:
            return "pid_file '\(path)' is a folder; name a file in it"
        case ELOOP:
            return "pid_file '\(path)' is a symbolic link; name the file itself"
        default:
            return "pid_file '\(path)' cannot be opened: \(reason)"
        }
    }
}
