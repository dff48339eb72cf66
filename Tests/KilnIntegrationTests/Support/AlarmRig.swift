import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What an end-to-end alarm test needs and could not get (a tool, a peer that would not start).
struct RigFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The tools the alarm tests run, each failing loudly when it is missing.
enum RigTool {
    static let sqlite3 = "/usr/bin/sqlite3"
    static let alertmanager = "/usr/bin/prometheus-alertmanager"
    static let receiver = Repository.root + "/tools/testpeers/hook_receiver.py"

    /// `path` when it is an executable; else a failure naming the Debian package.
    static func require(_ path: String, package: String) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw RigFailure("\(path) is missing: run tools/setup.sh --tests (Debian \(package))")
        }
        return path
    }

    /// python3 from PATH (pyenv's or Debian's).
    static func python() throws -> String {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        for dir in dirs where FileManager.default.isExecutableFile(atPath: "\(dir)/python3") {
            return "\(dir)/python3"
        }
        throw RigFailure("python3 is missing: run tools/setup.sh --tests")
    }
}

/// Polls `condition` every 50 ms, off the cooperative pool's threads, until it holds; throws
/// after `timeout` (generous: the suite shares two cores).
func eventually(
    _ what: String, timeout: Duration = .seconds(120), detail: () -> String = { "" },
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        if ContinuousClock.now > deadline { throw RigFailure("timed out waiting for \(what)\n\(detail())") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

extension ChildProcess {
    /// Waits for the child to end without blocking a thread; kills it after `timeout`.
    func exited(timeout: Duration = .seconds(120)) async throws -> ExitStatus {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = wait(timeout: .zero) { return status }
            if ContinuousClock.now > deadline {
                signal(SIGKILL)
                throw RigFailure("\(command.joined(separator: " ")) did not end: \(stderr.text)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits for a line of standard output containing `text`; throws if the child ends first.
    func line(containing text: String, timeout: Duration = .seconds(120)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = stdout.lines.first(where: { $0.contains(text) }) { return line }
            if wait(timeout: .zero) != nil || ContinuousClock.now > deadline {
                throw RigFailure(
                    "\(command.joined(separator: " ")) never printed \(text): \(stdout.text)\(stderr.text)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Runs a short command to its end and returns its standard output; throws on a nonzero exit.
func runTool(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> String {
    let child = try ChildProcess(arguments)
    child.closeStandardInput()
    let status = try await child.exited(timeout: timeout)
    child.waitForOutput()
    guard status == .exited(0) else {
        throw RigFailure("\(arguments.joined(separator: " ")): \(status): \(child.stderr.text)")
    }
    return child.stdout.text
}

/// Runs `kiln ARGUMENTS` to its end without blocking a thread.
func runKiln(_ arguments: [String]) async throws -> (status: ExitStatus, stdout: String, stderr: String) {
    let child = try KilnCLI.start(arguments)
    child.closeStandardInput()
    let status = try await child.exited(timeout: .seconds(60))
    child.waitForOutput()
    return (status, child.stdout.text, child.stderr.text)
}

/// One test's folder: the device map, the gateway config, the hook secret and the SQLite file.
final class AlarmRig: Sendable {
    let dir: String
    /// A Standard Webhooks signing secret, written to `hook.secret` with mode 0600.
    let secret = "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/kiln-e2e-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw RigFailure("mkdtemp: \(String(cString: strerror(errno)))")
        }
        dir = String(cString: made)
    }

    func file(_ name: String) -> String { dir + "/" + name }
    var config: String { file("kiln.yaml") }
    var map: String { file("map.yaml") }
    var database: String { file("kiln.sqlite") }

    func cleanup() { try? FileManager.default.removeItem(atPath: dir) }

    /// Writes the hooks' secret to `hook.secret`, mode 0600.
    func writeSecret() throws {
        let secretPath = file("hook.secret")
        guard FileManager.default.createFile(atPath: secretPath, contents: Data(secret.utf8)) else {
            throw RigFailure("cannot write \(secretPath)")
        }
        guard chmod(secretPath, 0o600) == 0 else { throw RigFailure("chmod \(secretPath)") }
    }

    /// Writes the device map, the secret (0600) and a gateway config with a 100 ms historian
    /// flush and the `hooks` YAML given (a list, indented by two spaces).
    func write(map: String, hooks: String) throws {
        try map.write(toFile: self.map, atomically: false, encoding: .utf8)
        try writeSecret()
        let config = """
            devices:
              - map.yaml
            shutdown_timeout: 10s
            historian:
              path: kiln.sqlite
              flush: 100ms
            hooks:
            \(hooks)
            """
        try config.write(toFile: self.config, atomically: false, encoding: .utf8)
    }

    /// A webhook hook to the receiver on `port`, signed with the rig's secret.
    /// `transitions`: the hook's filter, when the test wants more than the default (which leaves
    /// out suppression: visible, not notified).
    static func webhook(port: Int, timeout: String = "2s", transitions: [String]? = nil) -> String {
        var hook = """
              - name: ops
                kind: webhook
                url: http://127.0.0.1:\(port)/kiln
                secret_file: hook.secret
                timeout: \(timeout)
            """
        if let transitions { hook += "\n    transitions: [\(transitions.joined(separator: ", "))]" }
        return hook
    }

    /// `kiln simulate` serving the map, once it listens.
    func simulator() async throws -> ChildProcess {
        let sim = try KilnCLI.start(["simulate", map])
        _ = try await sim.line(containing: "serving")
        return sim
    }

    /// `kiln run` on the config, quietly (the summary at exit only).
    func gateway() throws -> ChildProcess {
        try KilnCLI.start(["run", config, "--quiet"])
    }

    /// Rows of `sql` from the SQLite file, read by the sqlite3 CLI on a read-only connection
    /// (another process, as an operator's tool would be), as JSON objects.
    func query(_ sql: String) async throws -> [[String: Any]] {
        let sqlite3 = try RigTool.require(RigTool.sqlite3, package: "sqlite3")
        guard FileManager.default.fileExists(atPath: database) else { return [] }
        let text = try await runTool([sqlite3, "-readonly", "-json", "-cmd", ".timeout 5000", database, sql])
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return [] }
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] ?? []
    }

    /// The first column of the first row of `sql` as an integer; -1 when there is none, or
    /// while the gateway has not yet created the table.
    func count(_ sql: String) async throws -> Int {
        let rows: [[String: Any]]
        do {
            rows = try await query(sql)
        } catch let failure as RigFailure where failure.description.contains("no such table") {
            return -1
        }
        guard let value = rows.first?.values.first as? Int else { return -1 }
        return value
    }

    /// The ids and transitions of the events in the alarm history, oldest first.
    func history() async throws -> [HistoryEvent] {
        try await query(
            """
            SELECT json_extract(CAST(event AS TEXT), '$.id') AS id, alarm, episode, transition
            FROM alarm_history ORDER BY id
            """
        ).map {
            HistoryEvent(
                id: $0["id"] as? String ?? "", alarm: $0["alarm"] as? String ?? "",
                episode: $0["episode"] as? String ?? "", transition: $0["transition"] as? String ?? "")
        }
    }
}

/// One row of `alarm_history`.
struct HistoryEvent: Hashable {
    var id: String
    var alarm: String
    var episode: String
    var transition: String
}

/// tools/testpeers/hook_receiver.py on a loopback port: verifies each delivery's Standard
/// Webhooks signature with its own HMAC code and logs it as a JSON line.
final class HookReceiver: Sendable {
    let child: ChildProcess
    let log: String

    /// Starts the receiver on `port`, logging to `log`; `script` gives its first answers
    /// (`slow:600` hangs one request for ten minutes).
    init(port: Int, secret: String, log: String, script: [String] = []) async throws {
        let python = try RigTool.python()
        var arguments = [
            python, RigTool.receiver, "--port", "\(port)", "--mode", "webhook", "--secret", secret, "--log", log,
        ]
        if !script.isEmpty { arguments += ["--script", script.joined(separator: ",")] }
        child = try ChildProcess(arguments)
        self.log = log
        _ = try await child.line(containing: "READY")
    }

    func stop() { child.stop() }

    /// Every request logged so far, in arrival order.
    var deliveries: [Delivery] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            let bodyText = record["body"] as? String ?? ""
            let body = (try? JSONSerialization.jsonObject(with: Data(bodyText.utf8))) as? [String: Any] ?? [:]
            return Delivery(
                webhookID: record["id"] as? String ?? "", step: record["step"] as? String ?? "",
                verified: record["verified"] as? Bool ?? false,
                status: record["status"] as? Int ?? 0, bodyText: bodyText, eventID: body["id"] as? String ?? "",
                alarm: body["alarm"] as? String ?? "", episode: body["episode"] as? String ?? "",
                transition: body["transition"] as? String ?? "", sampleStatus: body["status"] as? String,
                value: body["value"] as? Double, note: body["note"] as? String,
                by: body["by"] as? String)
        }
    }

    /// Each event once: the first arrival answered at once with 200 and a verified signature
    /// (a request the script hung is not answered).
    var events: [Delivery] {
        var seen = Set<String>()
        return deliveries.filter {
            $0.status == 200 && $0.verified && !$0.step.hasPrefix("slow:") && seen.insert($0.webhookID).inserted
        }
    }
}

/// One request the receiver logged.
struct Delivery: Hashable {
    var webhookID: String
    /// The receiver's scripted answer (`ok`, `slow:600`, …).
    var step: String
    var verified: Bool
    var status: Int
    var bodyText: String
    var eventID: String
    var alarm: String
    var episode: String
    var transition: String
    /// The event's OPC UA status name and value (of the sample that decided the transition).
    var sampleStatus: String?
    var value: Double?
    var note: String?
    var by: String?
}

/// A real Alertmanager on a loopback port, with one route to a null receiver.
final class AlertmanagerPeer: Sendable {
    let child: ChildProcess
    let port: Int

    init(dir: String) async throws {
        let binary = try RigTool.require(RigTool.alertmanager, package: "prometheus-alertmanager")
        port = try Loopback.unusedPort()
        let config = dir + "/alertmanager.yml"
        try """
        route:
          receiver: "null"
        receivers:
          - name: "null"
        """.write(toFile: config, atomically: false, encoding: .utf8)
        child = try ChildProcess([
            binary, "--config.file", config, "--storage.path", dir + "/am-data",
            "--web.listen-address", "127.0.0.1:\(port)", "--cluster.listen-address=",
        ])
        let url = "http://127.0.0.1:\(port)/-/ready"
        try await eventually("Alertmanager ready") { [child] in
            if child.wait(timeout: .zero) != nil { throw RigFailure("Alertmanager exited: \(child.stderr.text)") }
            return (try? await httpGet(url)) != nil
        }
    }

    func stop() { child.stop() }

    /// `GET /api/v2/alerts`: the alerts Alertmanager holds that have not ended.
    func alerts() async throws -> [[String: Any]] {
        let body = try await httpGet("http://127.0.0.1:\(port)/api/v2/alerts")
        return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] ?? []
    }
}

/// GETs `url` with python3's urllib (an HTTP client that is not Kiln's); throws unless 200.
func httpGet(_ url: String) async throws -> String {
    let script =
        "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"
    return try await runTool([try RigTool.python(), "-c", script, url])
}
