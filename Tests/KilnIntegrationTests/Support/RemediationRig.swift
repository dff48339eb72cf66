import Foundation
import KilnTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// One remediation test end to end: an ``AlarmRig`` folder (device map, gateway config, SQLite
/// file), a real sshd the test started (``SSHServer``), a private SSH control folder, and
/// tools/testpeers/argv_recorder.py as the remote command, appending one JSON line per run to
/// `recorded` (the remote side's own record of what ran, and how often).
final class RemediationRig: Sendable {
    let rig: AlarmRig
    let server: SSHServer
    /// The ssh control sockets' folder: short (socket paths fit in 107 bytes), 0700, ours.
    let controlDir: String
    /// Where the remote command writes its argv, one JSON line per run.
    var recorded: String { rig.file("recorded.jsonl") }
    /// The path of a file a shell would make if the remote side ever ran a quoted `$(touch …)`.
    var injected: String { rig.file("injected") }
    static let recorder = Repository.root + "/tools/testpeers/argv_recorder.py"

    init(_ name: String = #function) throws {
        rig = try AlarmRig()
        server = try SSHServer(name)
        controlDir = "/tmp/kiln-e2e-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        guard mkdir(controlDir, 0o700) == 0 else {
            throw RigFailure("mkdir \(controlDir): \(String(cString: strerror(errno)))")
        }
    }

    /// Shuts down any ssh master left in the control folder (a gateway killed with SIGKILL
    /// leaves its masters behind), stops sshd and removes the folders.
    func cleanup() {
        let sockets = (try? FileManager.default.contentsOfDirectory(atPath: controlDir)) ?? []
        for socket in sockets {
            _ = try? SSHServer.run(
                "/usr/bin/ssh",
                [
                    "-F", "/dev/null", "-o", "ControlPath=\(controlDir)/\(socket)", "-O", "exit", "-p",
                    String(server.port), "-l", server.user, "127.0.0.1",
                ])
        }
        try? FileManager.default.removeItem(atPath: controlDir)
        server.stop()
        rig.cleanup()
    }

    /// A device `oven-1` whose `temp` alarm `high` (above 50) is active while the value is 90:
    /// always (`period` nil), or for about half of each `period` (a flapping alarm).
    static func map(port: Int, period: String? = nil) -> String {
        let simulate =
            if let period { "{ value: 20, target: 90, tau: 50ms, period: \(period) }" } else { "{ value: 90 }" }
        return """
            devices:
              - name: oven-1
                host: 127.0.0.1
                port: \(port)
                timeout: 300ms
                poll: 100ms
                tags:
                  - name: temp
                    register: holding
                    address: 0
                    type: float32
                    simulate: \(simulate)
                    alarms:
                      - { name: high, above: 50, severity: major }
            """
    }

    /// The recorder's remote argv: `python3 argv_recorder.py --append [--exit N] [--sleep S] FILE`
    /// then `arguments`.
    func recorderCommand(_ arguments: [String], exit code: Int? = nil, sleep: Int? = nil) throws -> [String] {
        [try RigTool.python(), Self.recorder, "--append"] + (code.map { ["--exit", "\($0)"] } ?? [])
            + (sleep.map { ["--sleep", "\($0)"] } ?? []) + [recorded] + arguments
    }

    /// Writes the map and a gateway config with a `remediation:` block of one host (this sshd,
    /// pinned by `knownHosts`, else the server's true key) and one rule `fix` on
    /// `oven-1/temp/high`; `rule` adds lines to the rule (each `key: value`), `hooks` a hooks list.
    func write(
        map: String, mode: String, command: [String], rule: [String] = [], maxPerHour: Int = 100,
        knownHosts: String? = nil, hooks: String? = nil
    ) throws {
        try map.write(toFile: rig.map, atomically: false, encoding: .utf8)
        if hooks != nil { try rig.writeSecret() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let commandText = String(decoding: try encoder.encode(command), as: UTF8.self)
        let ruleLines = rule.map { "      \($0)" }.joined(separator: "\n")
        let config = """
            devices:
              - map.yaml
            shutdown_timeout: 10s
            historian:
              path: kiln.sqlite
              flush: 100ms
            \(hooks.map { "hooks:\n\($0)" } ?? "")
            remediation:
              mode: \(mode)
              max_per_hour: \(maxPerHour)
              control_dir: \(controlDir)
              control_persist: 2s
              hosts:
                - name: box
                  address: 127.0.0.1
                  port: \(server.port)
                  user: \(server.user)
                  identity_file: \(server.clientKey)
                  known_hosts: \(knownHosts ?? server.knownHosts)
                  connect_timeout: 20s
              rules:
                - name: fix
                  when: { alarm: oven-1/temp/high, persists: 300ms }
                  host: box
                  command: \(commandText)
                  timeout: 60s
            \(ruleLines)
            """
        try config.write(toFile: rig.config, atomically: false, encoding: .utf8)
    }

    /// The remote side's record: one argv per run of the command, in order.
    var runs: [[String]] {
        guard let text = try? String(contentsOfFile: recorded, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String] ?? ["<not a JSON list: \($0)>"]
        }
    }

    /// The audit log's entries, oldest first.
    func audit() async throws -> [[String: Any]] {
        try await rig.query(
            """
            SELECT seq, run, rule, episode, host, fingerprint, argv, exit_code, outcome, by, detail,
                CAST(stdout_head AS TEXT) AS stdout, started FROM remediation_audit ORDER BY seq
            """)
    }

    /// The outcomes of the audit log, oldest first (-1 rows while the table is missing).
    func auditOutcomes() async throws -> [String] {
        do {
            return try await audit().compactMap { $0["outcome"] as? String }
        } catch let failure as RigFailure where failure.description.contains("no such table") {
            return []
        }
    }

    /// The queue's runs, oldest first.
    func queue() async throws -> [[String: Any]] {
        do {
            return try await rig.query(
                "SELECT id, episode, attempt, state, outcome, argv, due, started, ended, detail FROM remediation_runs ORDER BY id"
            )
        } catch let failure as RigFailure where failure.description.contains("no such table") {
            return []
        }
    }

    /// `kiln remediation ARGUMENTS --db FILE`.
    func remediation(_ arguments: [String]) async throws -> (status: ExitStatus, stdout: String, stderr: String) {
        try await runKiln(["remediation"] + arguments + ["--db", rig.database])
    }

    /// Everything a failure message should show: the queue, the audit log, the recorder's file.
    func state() async -> String {
        let queue = (try? await queue()) ?? []
        let audit = (try? await audit()) ?? []
        return "queue: \(queue)\naudit: \(audit)\nrecorded: \(runs)"
    }

    /// Polls `condition` until it holds, failing at once (with its standard error) if the
    /// gateway exits first, and after `timeout` otherwise.
    func waitFor(
        _ what: String, while gateway: ChildProcess, timeout: Duration = .seconds(120),
        _ condition: () async throws -> Bool
    ) async throws {
        try await eventually(what, timeout: timeout, detail: { gateway.stderr.text }) {
            if let status = gateway.wait(timeout: .zero) {
                throw RigFailure("kiln run exited (\(status)) while waiting for \(what): \(gateway.stderr.text)")
            }
            return try await condition()
        }
    }

    /// Stops the gateway with SIGTERM (it shuts its ssh masters down) and returns its status.
    func stop(_ gateway: ChildProcess) async throws -> ExitStatus {
        gateway.signal(SIGTERM)
        return try await gateway.exited()
    }
}
