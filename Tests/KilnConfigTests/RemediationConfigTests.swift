import Foundation
import KilnCore
import Testing

@testable import KilnConfig

/// The gateway's `remediation:` decodes into exactly the values written; the error cases are the
/// golden folders `Cases/remediation-*` (message and FILE:LINE:COLUMN of each).
struct RemediationConfigTests {
    static let cases = Bundle.module.resourceURL!.appendingPathComponent("Cases").path

    @Test func aFullBlockDecodes() throws {
        let folder = Self.cases + "/remediation-clean"
        let path = folder + "/kiln.yaml"
        let checked = try ConfigLoader.check(path: path)
        func at(_ line: Int, _ column: Int) -> KilnCore.SourceLocation {
            KilnCore.SourceLocation(file: path, line: line, column: column)
        }
        let remediation = try #require(checked.config.remediation)
        #expect(
            remediation.hosts == [
                RemediationHost(
                    name: "chiller-ctl", address: "10.0.0.40", port: 2222, user: "svc_automation",
                    identityFile: folder + "/keys/id_ed25519", knownHosts: "/etc/kiln/known_hosts", maxConcurrent: 2,
                    connectTimeout: .seconds(3), location: at(13, 7), identityLocation: at(17, 22),
                    knownHostsLocation: at(18, 20)),
                RemediationHost(
                    name: "pump_ctl", address: "fe80::1%eth0", user: "kiln.ops", identityFile: "/etc/kiln/id_ed25519",
                    knownHosts: folder + "/keys/known_hosts", location: at(21, 7), identityLocation: at(24, 22),
                    knownHostsLocation: at(25, 20)),
            ])
        #expect(
            remediation.rules == [
                RemediationRule(
                    name: "restart-chiller-loop",
                    trigger: RemediationTrigger(alarm: "chiller-1/supply_temp/high", persists: .seconds(120)),
                    host: "chiller-ctl",
                    command: ["sudo", "systemctl", "restart", "chiller-loop@{device}", "{{literal}}"],
                    timeout: .seconds(20), cooldown: .seconds(600), maxAttempts: 3, retryDelay: .seconds(60),
                    retryInterrupted: true,
                    verify: RemediationVerify(
                        device: "chiller-1", tag: "supply_temp", condition: .below(80), within: .seconds(600)),
                    location: at(27, 7)),
                RemediationRule(
                    name: "reset-sensor",
                    trigger: RemediationTrigger(alarm: "pump-2/pressure/sensor", persists: .seconds(30)),
                    host: "pump_ctl", command: ["/usr/local/bin/reset-sensor", "{tag}", "{value}", "{episode}"],
                    verify: RemediationVerify(
                        device: "pump-2", tag: "pressure", condition: .above(1.5), within: .seconds(60)),
                    location: at(37, 7)),
                RemediationRule(
                    name: "restart-gateway",
                    trigger: RemediationTrigger(alarm: "chiller-1/comm", persists: .seconds(300)),
                    host: "chiller-ctl", command: ["sudo", "systemctl", "restart", "modbus-gw"], location: at(42, 7)),
            ])
        #expect(remediation.mode == .enforce)
        #expect(remediation.maxPerHour == 4)
        #expect(remediation.controlDirectory == folder + "/run/ssh")
        #expect(remediation.controlPersist == .seconds(300))
        #expect(remediation.sshPath == nil)
        #expect(remediation.location == at(8, 3))
        #expect(checked.warnings.map(\.location) == [at(42, 7), at(42, 7)])
    }

    @Test func theDefaultsAreTheIssues() throws {
        let yaml = """
            devices: [maps/plant.yaml]
            historian: { path: history.sqlite }
            remediation:
              hosts:
                - { name: h, address: 127.0.0.1, user: u, identity_file: /k, known_hosts: /kh }
              rules:
                - name: r
                  when: { alarm: chiller-1/comm, persists: 1s }
                  host: h
                  command: [true]

            """
        let config = try ConfigLoader.load(yaml: yaml, path: Self.cases + "/remediation-clean/inline.yaml")
        let remediation = try #require(config.remediation)
        #expect(remediation.mode == .enforce)
        #expect(remediation.maxPerHour == 6)
        #expect(remediation.controlPersist == .seconds(600))
        #expect(remediation.controlDirectory == nil)
        let host = try #require(remediation.hosts.first)
        #expect(host.port == 22 && host.maxConcurrent == 1 && host.connectTimeout == .seconds(10))
        let rule = try #require(remediation.rules.first)
        #expect(rule.command == ["true"])
        #expect(rule.timeout == .seconds(30))
        #expect(rule.cooldown == .seconds(900))
        #expect(rule.maxAttempts == 1)
        #expect(rule.retryDelay == .seconds(30))
        #expect(rule.retryInterrupted == false)
        #expect(rule.verify == nil)
    }

    @Test func anExplicitSSHClientMustBeAProgram() throws {
        let yaml = """
            devices: [maps/plant.yaml]
            historian: { path: history.sqlite }
            remediation:
              ssh: /bin/sh
              rules: []

            """
        let config = try ConfigLoader.load(yaml: yaml, path: Self.cases + "/remediation-clean/inline.yaml")
        #expect(config.remediation?.sshPath == "/bin/sh")
        let plainFile = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-not-ssh-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: plainFile) }
        try "not a program\n".write(toFile: plainFile, atomically: false, encoding: .utf8)
        #expect(chmod(plainFile, 0o644) == 0)
        do {
            _ = try ConfigLoader.load(
                yaml: yaml.replacingOccurrences(of: "/bin/sh", with: plainFile),
                path: Self.cases + "/remediation-clean/inline.yaml")
            Issue.record("a file that is not executable was taken for the ssh client")
        } catch {
            #expect(
                error.diagnostics.map(\.description) == [
                    Self.cases + "/remediation-clean/inline.yaml:4:8: error: 'ssh' must name the OpenSSH client: "
                        + "'\(plainFile)' is not executable"
                ])
        }
    }

    /// When a device map has errors, a rule's alarm and verify tag are not judged: the name may
    /// well be in the part of the map that did not load.
    @Test func aBrokenMapDoesNotMakeEveryRuleWrong() throws {
        let yaml = """
            devices: [maps/plant.yaml, missing.yaml]
            historian: { path: history.sqlite }
            remediation:
              hosts:
                - { name: h, address: 127.0.0.1, user: u, identity_file: /k, known_hosts: /kh }
              rules:
                - name: r
                  when: { alarm: boiler-1/comm, persists: 1s }
                  host: h
                  command: [x]

            """
        do {
            _ = try ConfigLoader.load(yaml: yaml, path: Self.cases + "/remediation-clean/inline.yaml")
            Issue.record("a missing map was accepted")
        } catch {
            #expect(error.diagnostics.count == 1)
            #expect(error.diagnostics.first?.message.contains("missing.yaml") == true)
        }
    }

    /// The commented example in `config/kiln.yaml`, uncommented, loads against the demo plant:
    /// its alarm and verify tag exist, so an engineer can start from it.
    @Test func theShippedExampleLoadsOnceUncommented() throws {
        let path = DemoPlantTests.root + "/config/kiln.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines: [String] = []
        var inBlock = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "# remediation:" { inBlock = true }
            if inBlock, line.hasPrefix("# ") {
                lines.append(String(line.dropFirst(2)))
            } else {
                inBlock = false
                lines.append(String(line))
            }
        }
        let config = try ConfigLoader.load(yaml: lines.joined(separator: "\n"), path: path)
        let remediation = try #require(config.remediation)
        #expect(remediation.mode == .approve)
        #expect(remediation.hosts.map(\.name) == ["chiller-ctl"])
        #expect(remediation.rules.map(\.name) == ["restart-chiller-loop"])
        #expect(remediation.rules.first?.verify?.tag == "chw_flow")
    }
}
