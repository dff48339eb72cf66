import KilnCore
import KilnCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The private folder of the SSH control sockets (`ControlPath`): mode 0700, owned by Kiln's user,
/// not a symlink, so no other local user can reach a multiplexed connection through it.
public enum SSHControlDirectory {
    /// Unix socket paths hold 107 bytes (108 with the NUL).
    public static let maxSocketPath = 107
    /// What ssh appends to the control path while it binds a new master's socket (`.` and 16
    /// random characters), before it renames it into place.
    public static let bindSuffix = 17

    /// `/tmp/kiln-ssh-<uid>-<8 hex of sha256(historian path)>`: one per user and gateway database.
    public static func defaultPath(historian: String) -> String {
        let hash = Base64.hex(Digest.sha256(Array(historian.utf8))).prefix(8)
        return "/tmp/kiln-ssh-\(geteuid())-\(hash)"
    }

    /// The control socket of one host inside `directory`: 16 hex of sha256 of user, address and
    /// port (ssh's own `%C` is 40 hex, which leaves less room for the folder's name).
    public static func socketPath(directory: String, host: RemediationHost) -> String {
        let key = "\(host.user)@\(host.address):\(host.port)"
        return directory + "/" + Base64.hex(Digest.sha256(Array(key.utf8))).prefix(16)
    }

    /// Makes `path` (0700) if it is missing, then checks that it is a real folder, owned by this
    /// user, with no group or other permission bits, and that a socket path in it fits.
    public static func prepare(_ path: String) throws(SSHTransportError) {
        guard path.hasPrefix("/") else {
            throw SSHTransportError(
                .controlDirectory, "the SSH control folder \(path) is not an absolute path; name it in full")
        }
        let longest = path.utf8.count + 1 + 16 + bindSuffix
        guard longest <= maxSocketPath else {
            throw SSHTransportError(
                .socketPathTooLong,
                "the SSH control folder \(path) is too long: its sockets' paths would take \(longest) bytes, a Unix socket holds \(maxSocketPath); choose a folder of at most \(maxSocketPath - 1 - 16 - bindSuffix) bytes"
            )
        }
        var st = stat()
        if lstat(path, &st) != 0 {
            let e = errno
            guard e == ENOENT else {
                throw SSHTransportError(.controlDirectory, "cannot check the SSH control folder \(path): \(message(e))")
            }
            if mkdir(path, 0o700) != 0 && errno != EEXIST {
                let e = errno
                throw SSHTransportError(.controlDirectory, "cannot make the SSH control folder \(path): \(message(e))")
            }
            guard lstat(path, &st) == 0 else {
                let e = errno
                throw SSHTransportError(.controlDirectory, "cannot check the SSH control folder \(path): \(message(e))")
            }
        }
        let kind = st.st_mode & S_IFMT
        if kind == S_IFLNK {
            throw SSHTransportError(
                .unsafeControlDirectory,
                "the SSH control folder \(path) is a symbolic link; refusing it (another user could redirect the sockets). Remove it or choose another folder"
            )
        }
        guard kind == S_IFDIR else {
            throw SSHTransportError(
                .unsafeControlDirectory, "the SSH control folder \(path) exists and is not a folder; remove it")
        }
        guard st.st_uid == geteuid() else {
            throw SSHTransportError(
                .unsafeControlDirectory,
                "the SSH control folder \(path) belongs to uid \(st.st_uid), not to Kiln's uid \(geteuid()); refusing it. Remove it or choose another folder"
            )
        }
        guard st.st_mode & 0o077 == 0 else {
            throw SSHTransportError(
                .unsafeControlDirectory,
                "the SSH control folder \(path) has mode \(String(st.st_mode & 0o777, radix: 8)); it must be 0700 (chmod 700 \(path))"
            )
        }
    }

    private static func message(_ code: Int32) -> String { String(cString: strerror(code)) }
}
