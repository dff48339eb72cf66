import Foundation
import Testing

/// `kiln check` and `kiln run` on a remediation block: the built binary on real key and pin
/// files. Check lists the block (never a key's contents); both refuse a loose key at its line.
struct CheckRemediationTests {
    static let keyText = "-----BEGIN OPENSSH PRIVATE KEY----- PRIVATE-KEY-BYTES\n"
    static let pin =
        "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"

    private static func gateway(in dir: String, keyMode: mode_t) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try keyText.write(toFile: dir + "/id", atomically: false, encoding: .utf8)
        #expect(chmod(dir + "/id", keyMode) == 0)
        try pin.write(toFile: dir + "/known_hosts", atomically: false, encoding: .utf8)
        #expect(chmod(dir + "/known_hosts", 0o644) == 0)
        let config = dir + "/kiln.yaml"
        try """
        devices:
          - \(Repository.root)/devices/plant.yaml
        historian:
          path: history.sqlite
        remediation:
          mode: approve
          hosts:
            - { name: ctl, address: 127.0.0.1, port: 2222, user: svc, identity_file: id, known_hosts: known_hosts }
          rules:
            - name: restart-loop
              when: { alarm: chiller-1/chw_flow/low, persists: 2m }
              host: ctl
              command: [sudo, /usr/bin/systemctl, restart, "chiller-loop@{device}", "it's {value}"]
        """.write(toFile: config, atomically: false, encoding: .utf8)
        return config
    }

    private static func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kiln-check-rem-\(UUID())").path
    }

    @Test(arguments: ["check", "run"])
    func anIdentityOthersCanReadIsRefused(command: String) throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try Self.gateway(in: dir, keyMode: 0o644)
        let arguments = command == "run" ? ["run", config, "--duration", "1s"] : ["check", config]
        let result = try KilnCLI.run(arguments)
        #expect(result.exitCode == 1, Comment(rawValue: result.description))
        #expect(
            result.stderr.contains(
                "\(config):8:78: error: remediation host 'ctl': identity_file '\(dir)/id' has mode 0644, "
                    + "must be 0600 (no group or other access): run chmod 600 '\(dir)/id'"),
            Comment(rawValue: result.description))
        #expect(!(result.stdout + result.stderr).contains("PRIVATE-KEY-BYTES"))
        // `kiln run` refuses before it polls or opens the historian.
        #expect(!FileManager.default.fileExists(atPath: dir + "/history.sqlite"))
    }

    @Test func aCleanBlockIsListedWithItsExactArgv() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try Self.gateway(in: dir, keyMode: 0o600)
        let result = try KilnCLI.run(["check", config])
        #expect(result.exitCode == 0, Comment(rawValue: result.description))
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("  remediation: mode approve, at most 6 runs an hour"), Comment(rawValue: result.stdout))
        #expect(
            lines.contains(
                "    host ctl: svc@127.0.0.1:2222, key \(dir)/id, pinned by \(dir)/known_hosts, at most 1 at a time"),
            Comment(rawValue: result.stdout))
        #expect(
            lines.contains(
                #"    rule restart-loop: chiller-1/chw_flow/low for 2m → ctl: ["sudo", "/usr/bin/systemctl", "restart", "chiller-loop@{device}", "it's {value}"]; timeout 30s, cooldown 15m, 1 attempt"#
            ), Comment(rawValue: result.stdout))
        // Mode approve: a person looks at each run, so no warning about a missing verify.
        #expect(!result.stderr.contains("has no 'verify'"), Comment(rawValue: result.stderr))
        #expect(!(result.stdout + result.stderr).contains("PRIVATE-KEY-BYTES"))
    }
}
