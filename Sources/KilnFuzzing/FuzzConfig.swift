import KilnConfig

/// The config loader on arbitrary bytes, as a device map or gateway config read from memory.
///
/// Errors (`ConfigError`) are the expected outcome and are swallowed; a trap is a bug in the
/// loader. The path names a folder that does not exist, so relative `devices:` entries and
/// historian paths resolve to nothing; absolute ones still reach the file system, through the
/// same regular-file and size checks as `kiln check`. A file that loads also goes through the
/// hooks' secret checks and remediation's key and known_hosts checks, as `kiln check` does (with
/// an empty environment: a fuzz run's outcome must not depend on the shell that started it).
public enum FuzzConfig: FuzzTarget {
    public static let name = "config"

    public static func run(_ data: UnsafeRawBufferPointer) {
        // Invalid UTF-8 is repaired, as the loader's own file reading reports it first.
        let text = String(decoding: data, as: UTF8.self)
        guard let checked = try? ConfigLoader.check(path: "/nonexistent-kiln-fuzz/kiln.yaml", yaml: text) else {
            return
        }
        _ = HookSecrets.check(checked.config, environment: { _ in nil })
        _ = RemediationFiles.check(checked.config)
    }
}
