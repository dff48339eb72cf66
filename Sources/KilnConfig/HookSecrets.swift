import KilnCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Checks that every hook's secret can be had, without reading it: `kiln check` reports the
/// problems, and `kiln run` refuses to start on any.
///
/// A `secret_env` must be set and non-empty. A `secret_file` must be a regular file (symbolic
/// links followed) that Kiln can read, not empty, with no group or other permission bit: a key
/// readable by others is already leaked, so Kiln refuses it rather than use it.
public enum HookSecrets {
    /// The problems, one per hook, at the `secret_env:` or `secret_file:` value (the hook's own
    /// place when that is unknown).
    ///
    /// - Parameters:
    ///   - config: a loaded gateway config.
    ///   - environment: looks a variable up; the process environment by default.
    public static func check(
        _ config: GatewayConfig, environment: (String) -> String? = HookSecrets.processEnvironment
    ) -> [Diagnostic] {
        config.hooks.compactMap { hook in
            guard let secret = hook.secret, let problem = problem(secret, environment: environment) else { return nil }
            let location = hook.secretLocation ?? hook.location ?? SourceLocation(file: config.path, line: 1, column: 1)
            return Diagnostic(location: location, message: "hook '\(hook.name)': \(problem)")
        }
    }

    /// Why `secret` cannot be used, or nil when it can.
    public static func problem(
        _ secret: SecretSource, environment: (String) -> String? = HookSecrets.processEnvironment
    ) -> String? {
        switch secret {
        case .environment(let name):
            guard let value = environment(name) else {
                return "environment variable \(name) (secret_env) is not set; set it in the service's environment"
            }
            return value.isEmpty ? "environment variable \(name) (secret_env) is empty" : nil
        case .file(let path):
            return fileProblem(path)
        }
    }

    /// `getenv`, as a function value.
    public static func processEnvironment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    private static func fileProblem(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            return "secret_file '\(path)' cannot be used: \(reason)"
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            let what = (info.st_mode & S_IFMT) == S_IFDIR ? "a folder" : "not a regular file"
            return "secret_file '\(path)' is \(what)"
        }
        let mode = info.st_mode & 0o7777
        if mode & 0o077 != 0 {
            // `0644`: the octal digits, at least three after the leading 0, as chmod takes them.
            let digits = String(mode, radix: 8)
            let shown = "0" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
            return "secret_file '\(path)' has mode \(shown), must be 0600 (no group or other access): "
                + "run chmod 600 '\(path)'"
        }
        guard access(path, R_OK) == 0 else {
            return "secret_file '\(path)' cannot be read: \(String(cString: strerror(errno)))"
        }
        if info.st_size == 0 { return "secret_file '\(path)' is empty" }
        return nil
    }
}
