import Foundation
import Testing

/// `tools/fuzz/check_mutations.py` on a smaller count than the 800 of issue 10: random mutations
/// of the shipped map and gateway config, plus special files, overflowing numbers and duplicate
/// keys, each through the built `kiln check`. Any crash, any exit other than 0 or 1, any exit 1
/// without a `FILE:LINE:COLUMN: error:` line, or a run past the bounds fails the test.
struct CheckMutationTests {
    @Test func kilnCheckSurvivesMutatedConfigs() throws {
        try Self.mutate(repo: Repository.root, count: 150, seed: 2026)
    }

    /// The same on a gateway config whose alarm settings and every kind of hook are written out
    /// (the shipped config keeps them commented), beside the demo map and its alarms: mutated
    /// alarm and hook blocks, secret names included, must give a clear error and exit 1, never
    /// a crash.
    @Test func kilnCheckSurvivesMutatedAlarmAndHookBlocks() throws {
        let repo = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-mutations-hooks-\(getpid())")
            .path
        defer { try? FileManager.default.removeItem(atPath: repo) }
        try FileManager.default.createDirectory(atPath: repo + "/devices", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: repo + "/config", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Repository.root + "/devices/plant.yaml", toPath: repo + "/devices/plant.yaml")
        // Secrets from variables every test environment has, so that the unmutated config is
        // clean and each mutation is judged on its own.
        try """
        devices:
          - ../devices/*.yaml
        historian:
          path: history.sqlite
          flush: 1s
        alarms:
          sensor_severity: minor
          comm_severity: major
          chatter: { count: 3, window: 1m }
          flood: { count: 10, window: 10m }
          max_shelve: 24h
        hooks:
          - name: ops
            kind: webhook
            url: https://ops.example:8443/kiln
            secret_env: HOME
            min_severity: minor
            devices: [boiler-*, "chiller-[12]"]
            tags: ["*_temp"]
            transitions: [activated, cleared, acknowledged]
            timeout: 10s
            max_age: 24h
          - name: am
            kind: alertmanager
            url: http://127.0.0.1:9093
            resend: 1m
          - name: oncall
            kind: pagerduty
            secret_env: PATH
            min_severity: critical
          - name: log
            kind: exec
            command: [/usr/bin/logger, -t, kiln]
            timeout: 5s

        """.write(toFile: repo + "/config/kiln.yaml", atomically: false, encoding: .utf8)
        try Self.mutate(repo: repo, count: 100, seed: 2027)
    }

    /// The same on a gateway config with a remediation block written out: hosts, rules, command
    /// lists with placeholders, verify. The key and pin files are real and absolute, so that the
    /// unmutated config is clean and each mutation (a string command, a loose path, a missing
    /// host) is judged on its own.
    @Test func kilnCheckSurvivesMutatedRemediationBlocks() throws {
        let repo = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-mutations-rem-\(getpid())")
            .path
        defer { try? FileManager.default.removeItem(atPath: repo) }
        try FileManager.default.createDirectory(atPath: repo + "/devices", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: repo + "/config", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Repository.root + "/devices/plant.yaml", toPath: repo + "/devices/plant.yaml")
        try "-----BEGIN OPENSSH PRIVATE KEY-----\n".write(toFile: repo + "/id", atomically: false, encoding: .utf8)
        #expect(chmod(repo + "/id", 0o600) == 0)
        try "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
            .write(toFile: repo + "/known_hosts", atomically: false, encoding: .utf8)
        #expect(chmod(repo + "/known_hosts", 0o644) == 0)
        try """
        devices:
          - ../devices/*.yaml
        historian:
          path: history.sqlite
        remediation:
          mode: dry-run
          max_per_hour: 6
          control_persist: 5m
          hosts:
            - name: chiller-ctl
              address: 127.0.0.1
              port: 2222
              user: svc_automation
              identity_file: \(repo)/id
              known_hosts: \(repo)/known_hosts
              max_concurrent: 1
              connect_timeout: 5s
          rules:
            - name: restart-chiller-loop
              when: { alarm: chiller-1/chw_flow/low, persists: 2m }
              host: chiller-ctl
              command: ["sudo", "/usr/bin/systemctl", "restart", "chiller-loop@{device}", "{{x}}"]
              timeout: 30s
              cooldown: 15m
              max_attempts: 3
              retry_delay: 30s
              retry_interrupted: false
              verify: { tag: chiller-1/chw_flow, above: 25, within: 10m }
            - name: on-comm
              when: { alarm: pump-2/comm, persists: 1m }
              host: chiller-ctl
              command: [/usr/local/bin/reset, "{tag}", "{value}", "{episode}", "{alarm}"]
              verify: { tag: pump-2/speed, below: 100, within: 1m }

        """.write(toFile: repo + "/config/kiln.yaml", atomically: false, encoding: .utf8)
        try Self.mutate(repo: repo, count: 100, seed: 2028)
    }

    private static func mutate(repo: String, count: Int, seed: Int) throws {
        let failures = FileManager.default.temporaryDirectory
            .appendingPathComponent("kiln-check-mutations-\(getpid())-\(seed)").path
        defer { try? FileManager.default.removeItem(atPath: failures) }
        // The bounds here are generous (the tool's defaults are 2 s and 200 MB, met by the release build;
        // the debug build takes several seconds on the largest accepted map): the test must
        // not fail because the machine is busy, only because `kiln check` hangs or balloons.
        let child = try ChildProcess([
            "python3", Repository.root + "/tools/fuzz/check_mutations.py", try Repository.kiln(), "\(count)",
            "\(seed)", "--repo", repo, "--failures", failures, "--time-limit", "30", "--rss-limit-mb", "200",
        ])
        guard let status = child.wait(timeout: .seconds(600)) else {
            child.signal(SIGKILL)
            Issue.record("check_mutations.py did not finish in 10 minutes")
            return
        }
        child.waitForOutput()
        let output = child.stdout.text + child.stderr.text
        #expect(status == .exited(0), Comment(rawValue: output))
        #expect(output.contains("runs: "), Comment(rawValue: output))
        #expect(output.contains("failures: 0"), Comment(rawValue: output))
    }
}
