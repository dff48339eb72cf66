import Foundation
import KilnCore
import Testing

@testable import KilnConfig

/// `HookSecrets.check` on real files and the real environment: what `kiln check` reports and
/// `kiln run` refuses to start on.
struct HookSecretsTests {
    /// A gateway config in a fresh folder with one pagerduty hook whose secret is `secretLine`.
    private static func load(_ secretLine: String, in folder: String) throws -> GatewayConfig {
        try FileManager.default.createDirectory(atPath: folder + "/maps", withIntermediateDirectories: true)
        try "devices:\n  - name: d\n    host: 127.0.0.1\n    tags:\n      - { name: t, register: coil, address: 0 }\n"
            .write(toFile: folder + "/maps/plant.yaml", atomically: false, encoding: .utf8)
        let yaml = """
            devices:
              - maps/plant.yaml
            historian:
              path: history.sqlite
            hooks:
              - name: oncall
                kind: pagerduty
                \(secretLine)

            """
        try yaml.write(toFile: folder + "/kiln.yaml", atomically: false, encoding: .utf8)
        return try ConfigLoader.load(path: folder + "/kiln.yaml")
    }

    private static func withFolder(_ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-secrets-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(folder)
    }

    private static func writeKey(_ path: String, mode: mode_t, text: String = "R0UT1NGKEY\n") throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, mode) == 0)
    }

    @Test func aFileOfMode0600IsAccepted() throws {
        try Self.withFolder { folder in
            let config = try Self.load("secret_file: pd.key", in: folder)
            try Self.writeKey(folder + "/pd.key", mode: 0o600)
            #expect(config.hooks.first?.secret == .file(folder + "/pd.key"))
            #expect(HookSecrets.check(config).isEmpty)
            // Stricter is fine too.
            #expect(chmod(folder + "/pd.key", 0o400) == 0)
            #expect(HookSecrets.check(config).isEmpty)
        }
    }

    @Test(arguments: [(0o644 as mode_t, "0644"), (0o640, "0640"), (0o604, "0604"), (0o660, "0660")])
    func aFileOthersCanReachIsRefused(mode: mode_t, shown: String) throws {
        try Self.withFolder { folder in
            let config = try Self.load("secret_file: pd.key", in: folder)
            try Self.writeKey(folder + "/pd.key", mode: mode)
            let problems = HookSecrets.check(config)
            #expect(
                problems.map(\.description) == [
                    "\(folder)/kiln.yaml:8:18: error: hook 'oncall': secret_file '\(folder)/pd.key' has mode "
                        + "\(shown), must be 0600 (no group or other access): run chmod 600 '\(folder)/pd.key'"
                ])
        }
    }

    @Test func aMissingFileAFolderAndAnEmptyFileAreRefused() throws {
        try Self.withFolder { folder in
            let config = try Self.load("secret_file: keys/pd.key", in: folder)
            #expect(
                HookSecrets.check(config).map(\.message) == [
                    "hook 'oncall': secret_file '\(folder)/keys/pd.key' cannot be used: No such file or directory"
                ])
            try FileManager.default.createDirectory(atPath: folder + "/keys/pd.key", withIntermediateDirectories: true)
            #expect(
                HookSecrets.check(config).map(\.message) == [
                    "hook 'oncall': secret_file '\(folder)/keys/pd.key' is a folder"
                ])
            try FileManager.default.removeItem(atPath: folder + "/keys/pd.key")
            try Self.writeKey(folder + "/keys/pd.key", mode: 0o600, text: "")
            #expect(
                HookSecrets.check(config).map(\.message) == [
                    "hook 'oncall': secret_file '\(folder)/keys/pd.key' is empty"
                ])
        }
    }

    @Test func aSymbolicLinkIsJudgedByTheFileItNames() throws {
        try Self.withFolder { folder in
            let config = try Self.load("secret_file: pd.key", in: folder)
            try Self.writeKey(folder + "/real.key", mode: 0o600)
            #expect(symlink(folder + "/real.key", folder + "/pd.key") == 0)
            #expect(HookSecrets.check(config).isEmpty)
            #expect(chmod(folder + "/real.key", 0o644) == 0)
            #expect(HookSecrets.check(config).count == 1)
        }
    }

    @Test func theEnvironmentVariableMustBeSetAndNotEmpty() throws {
        try Self.withFolder { folder in
            let name = "KILN_TEST_SECRET_\(getpid())"
            let config = try Self.load("secret_env: \(name)", in: folder)
            #expect(config.hooks.first?.secret == .environment(name))
            unsetenv(name)
            #expect(
                HookSecrets.check(config).map(\.description) == [
                    "\(folder)/kiln.yaml:8:17: error: hook 'oncall': environment variable \(name) (secret_env) "
                        + "is not set; set it in the service's environment"
                ])
            setenv(name, "", 1)
            #expect(
                HookSecrets.check(config).map(\.message) == [
                    "hook 'oncall': environment variable \(name) (secret_env) is empty"
                ])
            setenv(name, "routing-key", 1)
            defer { unsetenv(name) }
            #expect(HookSecrets.check(config).isEmpty)
            // An injected environment answers instead of the process's.
            #expect(HookSecrets.check(config, environment: { _ in nil }).count == 1)
        }
    }

    @Test func theSecretIsNeverInTheConfigValue() throws {
        try Self.withFolder { folder in
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Self.writeKey(folder + "/pd.key", mode: 0o600, text: "TOP-SECRET-ROUTING-KEY")
            let config = try Self.load("secret_file: pd.key", in: folder)
            #expect(!String(describing: config).contains("TOP-SECRET"))
        }
    }
}
