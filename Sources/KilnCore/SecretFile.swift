#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one judgement of a file that holds a secret (a hook's `secret_file`, a remediation
/// host's `identity_file`), shared by `kiln check`, the checks at `kiln run` start and the
/// readers that open the file later, so that they can never disagree.
///
/// A secret file must be a regular file (symbolic links are followed: systemd credentials and
/// Kubernetes secret mounts are links), not empty, with no group or other permission bit (a key
/// readable by others is already leaked, so Kiln refuses it rather than use it), and owned by
/// the user running Kiln.
public enum SecretFile {
    /// Why the file at `path` cannot serve as a secret, or nil when it can; checked without
    /// reading it.
    ///
    /// - Parameters:
    ///   - path: the file, as written (after resolution against the config's folder).
    ///   - key: how messages name it: `secret_file`, `identity_file`.
    public static func problem(_ path: String, key: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return "\(key) '\(path)' cannot be used: \(String(cString: strerror(errno)))"
        }
        if let problem = problem(info, path: path, key: key) { return problem }
        guard access(path, R_OK) == 0 else {
            return "\(key) '\(path)' cannot be read: \(String(cString: strerror(errno)))"
        }
        return nil
    }

    /// Why a file with the status `info` (from `stat` or from `fstat` on an open descriptor)
    /// cannot serve as a secret, or nil when it can.
    public static func problem(_ info: stat, path: String, key: String) -> String? {
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            let what = (info.st_mode & S_IFMT) == S_IFDIR ? "a folder" : "not a regular file"
            return "\(key) '\(path)' is \(what)"
        }
        let mode = info.st_mode & 0o7777
        if mode & 0o077 != 0 {
            return "\(key) '\(path)' has mode \(octal(mode)), must be 0600 (no group or other access): "
                + "run chmod 600 '\(path)'"
        }
        let user = getuid()
        if info.st_uid != user {
            return "\(key) '\(path)' is owned by uid \(info.st_uid), not by the user running Kiln "
                + "(uid \(user)): run chown \(user) '\(path)'"
        }
        if info.st_size == 0 { return "\(key) '\(path)' is empty" }
        return nil
    }

    /// `0644`: the octal digits, at least three after the leading 0, as chmod takes them.
    public static func octal(_ mode: mode_t) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return "0" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }
}

/// The process environment, looked up the one way Kiln does (`getenv`: the first of duplicate
/// entries wins), for secrets named by `secret_env`.
public enum ProcessEnvironment {
    /// The value of `name`, or nil when it is not set.
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Every variable, as `value(_:)` sees it (a later duplicate entry does not override).
    public static func all() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                let name = String(text[..<eq])
                if result[name] == nil { result[name] = String(text[text.index(after: eq)...]) }
            }
            pointer += 1
        }
        return result
    }
}
