import Foundation
import KilnCore
import Testing

@testable import KilnConfig

/// `RemediationFiles.check` on real files: what `kiln check` reports and `kiln run` refuses to
/// start on, at the `identity_file:` and `known_hosts:` values.
struct RemediationFilesTests {
    /// A host key line as `ssh-keyscan -t ed25519` writes it.
    static let keyLine =
        "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"

    /// A gateway config in a fresh folder with one host whose files are `id` and `known_hosts`.
    private static func load(in folder: String) throws -> GatewayConfig {
        try FileManager.default.createDirectory(atPath: folder + "/maps", withIntermediateDirectories: true)
        try "devices:\n  - name: d\n    host: 127.0.0.1\n    tags:\n      - { name: t, register: coil, address: 0 }\n"
            .write(toFile: folder + "/maps/plant.yaml", atomically: false, encoding: .utf8)
        let yaml = """
            devices:
              - maps/plant.yaml
            historian:
              path: history.sqlite
            remediation:
              hosts:
                - name: ctl
                  address: 127.0.0.1
                  user: svc
                  identity_file: id
                  known_hosts: known_hosts
              rules:
                - { name: r, when: { alarm: d/comm, persists: 1s }, host: ctl, command: [x] }

            """
        try yaml.write(toFile: folder + "/kiln.yaml", atomically: false, encoding: .utf8)
        return try ConfigLoader.load(path: folder + "/kiln.yaml")
    }

    private static func withFolder(_ body: (String, GatewayConfig) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-remfiles-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try load(in: folder)
        try write(folder + "/id", mode: 0o600, text: "-----BEGIN OPENSSH PRIVATE KEY-----\n")
        try write(folder + "/known_hosts", mode: 0o644, text: keyLine)
        try body(folder, config)
    }

    private static func write(_ path: String, mode: mode_t, text: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, mode) == 0)
    }

    @Test func aKeyOfMode0600AndAPinnedHostAreAccepted() throws {
        try Self.withFolder { _, config in
            #expect(RemediationFiles.check(config).isEmpty)
        }
    }

    @Test(arguments: [(0o644 as mode_t, "0644"), (0o640, "0640"), (0o604, "0604"), (0o700, nil)])
    func anIdentityOthersCanReachIsRefused(mode: mode_t, shown: String?) throws {
        try Self.withFolder { folder, config in
            #expect(chmod(folder + "/id", mode) == 0)
            let expected = shown.map {
                "\(folder)/kiln.yaml:10:22: error: remediation host 'ctl': identity_file '\(folder)/id' has mode "
                    + "\($0), must be 0600 (no group or other access): run chmod 600 '\(folder)/id'"
            }
            #expect(RemediationFiles.check(config).map(\.description) == (expected.map { [$0] } ?? []))
        }
    }

    @Test func anIdentityOfAnotherUserIsRefused() throws {
        try Self.withFolder { folder, config in
            // uid 1 (daemon) is someone else both for root and for a user running the tests.
            try #require(getuid() != 1)
            #expect(chown(folder + "/id", 1, 1) == 0, "the tests run as root here (chown)")
            #expect(
                RemediationFiles.check(config).map(\.message) == [
                    "remediation host 'ctl': identity_file '\(folder)/id' is owned by uid 1, not by the user "
                        + "running Kiln (uid \(getuid())): run chown \(getuid()) '\(folder)/id'"
                ])
        }
    }

    @Test func aSymbolicLinkToAKeyIsJudgedByTheKey() throws {
        try Self.withFolder { folder, config in
            try FileManager.default.moveItem(atPath: folder + "/id", toPath: folder + "/real-id")
            #expect(symlink(folder + "/real-id", folder + "/id") == 0)
            #expect(RemediationFiles.check(config).isEmpty)
            #expect(chmod(folder + "/real-id", 0o644) == 0)
            #expect(RemediationFiles.check(config).map(\.message).first?.contains("has mode 0644") == true)
        }
    }

    @Test(arguments: [(0o664 as mode_t, "0664"), (0o646, "0646"), (0o666, "0666")])
    func aKnownHostsFileOthersCanWriteIsRefused(mode: mode_t, shown: String) throws {
        try Self.withFolder { folder, config in
            #expect(chmod(folder + "/known_hosts", mode) == 0)
            #expect(
                RemediationFiles.check(config).map(\.description) == [
                    "\(folder)/kiln.yaml:11:20: error: remediation host 'ctl': known_hosts '\(folder)/known_hosts' "
                        + "has mode \(shown), must not be writable by group or others (anyone who can write it can "
                        + "pin their own key): run chmod 644 '\(folder)/known_hosts'"
                ])
        }
    }

    @Test(arguments: [
        ("", "holds no host key line (HOST KEYTYPE BASE64)"),
        ("# only a comment\n\n", "holds no host key line (HOST KEYTYPE BASE64)"),
        ("127.0.0.1 ssh-ed25519\n", "holds no host key line (HOST KEYTYPE BASE64)"),
        ("127.0.0.1 ssh-ed25519 not-base64!\n", "holds no host key line (HOST KEYTYPE BASE64)"),
        ("@pinned " + keyLine, "holds no host key line (HOST KEYTYPE BASE64)"),
        ("@revoked " + keyLine, "holds only @revoked keys"),
    ])
    func aKnownHostsFileWithoutAKeyIsRefused(text: String, problem: String) throws {
        try Self.withFolder { folder, config in
            try Self.write(folder + "/known_hosts", mode: 0o644, text: text)
            #expect(
                RemediationFiles.check(config).map(\.message) == [
                    "remediation host 'ctl': known_hosts '\(folder)/known_hosts' \(problem): every host would be "
                        + "refused; pin the host's key with ssh-keyscan and compare its fingerprint with the one read "
                        + "on the host's console (README: Remediation over SSH)"
                ])
        }
    }

    @Test(arguments: [
        "# pinned 2026-12-06\n" + keyLine,
        "@cert-authority *.plant.example " + String(keyLine.split(separator: " ", maxSplits: 1)[1]),
        "@revoked " + keyLine + keyLine,
        keyLine.replacingOccurrences(of: " ", with: "\t"),
        "|1|HaSh=|SaLt= ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY= comment\n",
    ])
    func aKnownHostsFileWithAKeyIsAccepted(text: String) throws {
        try Self.withFolder { folder, config in
            try Self.write(folder + "/known_hosts", mode: 0o600, text: text)
            #expect(RemediationFiles.check(config).isEmpty)
        }
    }

    @Test func missingFilesAndAForeignKnownHostsAreRefused() throws {
        try Self.withFolder { folder, config in
            try FileManager.default.removeItem(atPath: folder + "/id")
            try FileManager.default.removeItem(atPath: folder + "/known_hosts")
            try FileManager.default.createDirectory(atPath: folder + "/known_hosts", withIntermediateDirectories: true)
            #expect(
                RemediationFiles.check(config).map(\.message) == [
                    "remediation host 'ctl': identity_file '\(folder)/id' cannot be used: No such file or directory",
                    "remediation host 'ctl': known_hosts '\(folder)/known_hosts' is a folder",
                ])
            try FileManager.default.removeItem(atPath: folder + "/known_hosts")
            try Self.write(folder + "/id", mode: 0o600, text: "key\n")
            try Self.write(folder + "/known_hosts", mode: 0o644, text: Self.keyLine)
            try #require(getuid() != 1)
            // Root's pin file is fine (it is managed by the system), another user's is not.
            #expect(chown(folder + "/known_hosts", 0, 0) == 0)
            #expect(RemediationFiles.check(config).isEmpty)
            #expect(chown(folder + "/known_hosts", 1, 1) == 0)
            #expect(RemediationFiles.check(config).map(\.message).first?.contains("is owned by uid 1") == true)
        }
    }

    @Test func aConfigWithoutRemediationHasNothingToCheck() {
        #expect(RemediationFiles.check(GatewayConfig(path: "kiln.yaml", devices: [])).isEmpty)
    }
}
