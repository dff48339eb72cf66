import KilnCore

/// Checks that every hook's secret can be had, without reading it: `kiln check` reports the
/// problems, and `kiln run` refuses to start on any.
///
/// A `secret_env` must be set and non-empty (``ProcessEnvironment``). A `secret_file` is judged
/// by ``SecretFile``, the same judgement `KilnHooks.SecretReader` applies when it reads the file:
/// a regular file (symbolic links followed) that Kiln can read, not empty, owned by Kiln's user,
/// with no group or other permission bit.
public enum HookSecrets {
    /// The problems, one per hook, at the `secret_env:` or `secret_file:` value (the hook's own
    /// place when that is unknown).
    ///
    /// - Parameters:
    ///   - config: a loaded gateway config.
    ///   - environment: looks a variable up; the process environment by default.
    public static func check(
        _ config: GatewayConfig, environment: (String) -> String? = ProcessEnvironment.value
    ) -> [Diagnostic] {
        config.hooks.compactMap { hook in
            guard let secret = hook.secret, let problem = problem(secret, environment: environment) else { return nil }
            let location = hook.secretLocation ?? hook.location ?? SourceLocation(file: config.path, line: 1, column: 1)
            return Diagnostic(location: location, message: "hook '\(hook.name)': \(problem)")
        }
    }

    /// Why `secret` cannot be used, or nil when it can.
    public static func problem(
        _ secret: SecretSource, environment: (String) -> String? = ProcessEnvironment.value
    ) -> String? {
        switch secret {
        case .environment(let name):
            guard let value = environment(name) else {
                return "environment variable \(name) (secret_env) is not set; set it in the service's environment"
            }
            return value.isEmpty ? "environment variable \(name) (secret_env) is empty" : nil
        case .file(let path):
            return SecretFile.problem(path, key: "secret_file")
        }
    }
}
