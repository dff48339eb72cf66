import Foundation
import Testing

/// `kiln check` and `kiln run` on hooks whose secrets are missing or exposed: the built binary,
/// real files and a real environment.
struct CheckHooksTests {
    private static func gateway(in dir: String, secret: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = dir + "/kiln.yaml"
        try """
        devices:
          - \(Repository.root)/devices/plant.yaml
        historian:
          path: history.sqlite
        hooks:
          - name: oncall
            kind: pagerduty
            \(secret)
          - name: ops
            kind: webhook
            url: https://ops.example/kiln?token=not-shown
        """.write(toFile: config, atomically: false, encoding: .utf8)
        return config
    }

    private static func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kiln-check-hooks-\(UUID())").path
    }

    @Test(arguments: ["check", "run"])
    func aSecretFileOthersCanReadIsRefused(command: String) throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try Self.gateway(in: dir, secret: "secret_file: pd.key")
        try "ROUTING-KEY-VALUE\n".write(toFile: dir + "/pd.key", atomically: false, encoding: .utf8)
        #expect(chmod(dir + "/pd.key", 0o644) == 0)
        let arguments = command == "run" ? ["run", config, "--duration", "1s"] : ["check", config]
        let result = try KilnCLI.run(arguments)
        #expect(result.exitCode == 1, Comment(rawValue: result.description))
        #expect(
            result.stderr.contains(
                "\(config):8:18: error: hook 'oncall': secret_file '\(dir)/pd.key' has mode 0644, must be 0600"),
            Comment(rawValue: result.description))
        #expect(!(result.stdout + result.stderr).contains("ROUTING-KEY-VALUE"))
        // `kiln run` refuses before it polls or opens the historian.
        #expect(!FileManager.default.fileExists(atPath: dir + "/history.sqlite"))
    }

    @Test func aSecretFileOfMode0600PassesAndCheckListsTheHooks() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try Self.gateway(in: dir, secret: "secret_file: pd.key")
        try "ROUTING-KEY-VALUE\n".write(toFile: dir + "/pd.key", atomically: false, encoding: .utf8)
        #expect(chmod(dir + "/pd.key", 0o600) == 0)
        let result = try KilnCLI.run(["check", config])
        #expect(result.exitCode == 0, Comment(rawValue: result.description))
        #expect(result.stdout.contains("\(config): ok (5 devices, 65 tags, 9 alarms, 2 hooks)"))
        #expect(result.stdout.contains("  alarms: boiler-1 6, chiller-1 2, pump-1 1"))
        #expect(
            result.stdout.contains(
                "  hook oncall: pagerduty to https://events.pagerduty.com/v2/enqueue, routing key from file \(dir)/pd.key; min_severity info"
            ), Comment(rawValue: result.description))
        #expect(result.stdout.contains("  hook ops: webhook to https://ops.example/kiln, unsigned; min_severity info"))
        // The unsigned webhook is a warning, at its entry; the URL's query is not shown.
        #expect(result.stderr.contains("\(config):9:5: warning: hook 'ops' has no 'secret_env' or 'secret_file'"))
        #expect(!(result.stdout + result.stderr).contains("ROUTING-KEY-VALUE"))
        #expect(!(result.stdout + result.stderr).contains("not-shown"))
    }

    @Test func anUnsetSecretEnvironmentVariableIsReportedAtItsKey() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let name = "KILN_TEST_PD_KEY_\(getpid())"
        let config = try Self.gateway(in: dir, secret: "secret_env: \(name)")
        let unset = try KilnCLI.run(["check", config])
        #expect(unset.exitCode == 1, Comment(rawValue: unset.description))
        #expect(
            unset.stderr.contains(
                "\(config):8:17: error: hook 'oncall': environment variable \(name) (secret_env) is not set"),
            Comment(rawValue: unset.description))
        let child = try ChildProcess(["/usr/bin/env", "\(name)=routing-key", try Repository.kiln(), "check", config])
        let status = try #require(child.wait(timeout: .seconds(60)))
        child.waitForOutput()
        #expect(status == .exited(0), Comment(rawValue: child.stderr.text))
    }
}
