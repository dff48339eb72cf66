import Foundation
import KilnCore
import KilnTestSupport
import Testing

/// `kiln run` against `kiln simulate`, the real binaries end to end: SIGTERM and `--duration`
/// stop it cleanly, every sample the poller produced is in the historian, and the metrics file
/// is valid Prometheus exposition.
struct RunShutdownTests {
    /// A plant of `devices` devices (units on one simulator port) of `tags` float tags each.
    static func plant(port: Int, devices: Int, tags: Int, poll: String) -> String {
        var yaml = "devices:\n"
        for d in 1...devices {
            yaml +=
                "  - name: dev-\(d)\n    host: 127.0.0.1\n    port: \(port)\n    unit: \(d)\n    poll: \(poll)\n    tags:\n"
            for t in 0..<tags {
                yaml += "      - { name: t\(t), register: holding, address: \(2 * t), type: float32,"
                yaml += " simulate: { value: \(20 + t), noise: 0.2 } }\n"
            }
        }
        return yaml
    }

    /// The numbers of the summary's `pipeline:` line and of the `kiln run:` line's drops.
    struct Summary {
        var polled = 0
        var delivered = 0
        var stale = 0
        var historian = 0
        var historianDropped = 0
        var pollerDropped = 0

        init(_ log: String) throws {
            let pipeline = try #require(log.split(separator: "\n").first { $0.hasPrefix("pipeline: ") }, "\(log)")
            func number(before marker: String, in line: Substring) -> Int? {
                guard let range = line.range(of: marker) else { return nil }
                return Int(line[..<range.lowerBound].split(whereSeparator: { !$0.isNumber }).last ?? "")
            }
            polled = try #require(number(before: " samples polled", in: pipeline))
            delivered = try #require(number(before: " delivered", in: pipeline))
            stale = try #require(number(before: " stale)", in: pipeline))
            if let sink = pipeline.range(of: "historian ") {
                historian = try #require(number(before: " (", in: pipeline[sink.upperBound...]))
                historianDropped = try #require(number(before: " dropped)", in: pipeline[sink.upperBound...]))
            }
            let run = try #require(log.split(separator: "\n").first { $0.hasPrefix("kiln run: ") }, "\(log)")
            pollerDropped = try #require(number(before: " samples dropped", in: run))
        }
    }

    /// Values of the exposition's samples, by series (`name{labels}`).
    static func metrics(_ text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        return values
    }

    @Test(.timeLimit(.minutes(2)))
    func sigtermMidRunStoresEverySampleThePollerTook() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let port = try freePort()
        // 200 devices × 4 tags at 10 Hz: 8,000 samples a second.
        let map = try dir.write("plant.yaml", Self.plant(port: port, devices: 200, tags: 4, poll: "100ms"))
        let config = try dir.write(
            "kiln.yaml",
            "devices:\n  - plant.yaml\nshutdown_timeout: 30s\nhistorian:\n  path: history.db\n  flush: 1s\n")
        let kiln = try kilnBinary()
        let simulator = try Child([kiln, "simulate", map], log: dir.file("simulate.log"))
        defer { simulator.signal(SIGTERM) }
        #expect(eventually { simulator.output.contains("serving dev-1 (unit 1)") }, "\(simulator.output)")

        let run = try Child(
            [kiln, "run", config, "--quiet", "--metrics", dir.file("metrics.prom")], log: dir.file("run.log"))
        // Mid-run: once the historian has committed a few seconds of polling.
        #expect(eventually(timeout: .seconds(30)) { run.output.contains("polling") })
        usleep(3_000_000)
        run.signal(SIGTERM)
        let status = run.wait(timeout: .seconds(60))
        let log = run.output
        #expect(status == 0, "\(log)")

        let summary = try Summary(log)
        #expect(summary.polled >= 5_000, "a meaningful load: \(log)")
        #expect(summary.pollerDropped == 0 && summary.historianDropped == 0, "\(log)")
        #expect(summary.delivered == summary.polled + summary.stale)
        #expect(summary.historian == summary.delivered, "the historian took every conditioned sample: \(log)")
        let rows = try runTool(["sqlite3", dir.file("history.db"), "SELECT count(*) FROM samples"])
        #expect(rows.status == 0, "\(rows.err)")
        #expect(
            Int(rows.out.trimmingCharacters(in: .whitespacesAndNewlines)) == summary.delivered, "\(rows.out) \(log)")
        #expect(log.contains("historian: \(summary.delivered) rows"), "\(log)")

        let metrics = Self.metrics(try String(contentsOfFile: dir.file("metrics.prom"), encoding: .utf8))
        #expect(metrics["kiln_pipeline_samples_in_total"] == Double(summary.polled))
        #expect(metrics["kiln_pipeline_samples_out_total"] == Double(summary.delivered))
        #expect(metrics["kiln_sink_samples_total{sink=\"historian\"}"] == Double(summary.delivered))
        #expect(metrics["kiln_sink_dropped_total{sink=\"historian\"}"] == 0)
    }

    @Test(.timeLimit(.minutes(2)))
    func theMetricsFilePassesPromtoolAndAgreesWithTheSummary() throws {
        let promtool = try #require(
            which("promtool"), "promtool is not installed: run tools/setup.sh --tests (Debian prometheus)")
        let dir = TempDir()
        defer { dir.cleanup() }
        let port = try freePort()
        let map = try dir.write("plant.yaml", Self.plant(port: port, devices: 3, tags: 3, poll: "100ms"))
        let kiln = try kilnBinary()
        let simulator = try Child([kiln, "simulate", map], log: dir.file("simulate.log"))
        defer { simulator.signal(SIGTERM) }
        #expect(eventually { simulator.output.contains("serving dev-1 (unit 1)") }, "\(simulator.output)")
        // A fourth device nobody serves: its failures show as comm faults.
        let config = try dir.write(
            "kiln.yaml", "devices:\n  - plant.yaml\n  - dead.yaml\n")
        _ = try dir.write(
            "dead.yaml",
            "devices:\n  - { name: dead, host: 127.0.0.1, port: \(try freePort()), poll: 100ms, tags: [{ name: x, register: holding, address: 0, type: int16 }] }\n"
        )
        let result = try runTool([kiln, "run", config, "--duration", "2s", "--quiet", "--metrics", dir.file("m.prom")])
        #expect(result.status == 0, "\(result.err)")
        let text = try String(contentsOfFile: dir.file("m.prom"), encoding: .utf8)
        let check = try runTool([promtool, "check", "metrics"], stdin: text)
        #expect(check.status == 0, "promtool: \(check.out)\(check.err)\n\(text)")

        let summary = try Summary(result.err)
        let metrics = Self.metrics(text)
        #expect(summary.polled > 0)
        #expect(metrics["kiln_pipeline_samples_in_total"] == Double(summary.polled))
        #expect(metrics["kiln_pipeline_samples_out_total"] == Double(summary.delivered))
        let good = metrics["kiln_conditioned_samples_total{quality=\"good\"}"] ?? -1
        let bad = metrics["kiln_conditioned_samples_total{quality=\"bad\"}"] ?? -1
        let uncertain = metrics["kiln_conditioned_samples_total{quality=\"uncertain\"}"] ?? -1
        #expect(good + bad + uncertain == Double(summary.delivered))
        #expect(bad > 0 && metrics["kiln_conditioning_faults_total{class=\"comm\"}"] == bad, "the dead device")
        #expect(result.err.contains("faults caught (samples): comm "), "\(result.err)")
        #expect(metrics["kiln_sink_queue_depth{sink=\"live\"}"] == 0)
    }

    /// A printer stuck on a pipe nobody reads cannot stop: past `shutdown_timeout`, `kiln run`
    /// says what it abandoned and exits 1 instead of hanging.
    @Test(.timeLimit(.minutes(2)))
    func aShutdownPastTheBoundExitsOneNamingWhatItAbandoned() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let port = try freePort()
        let map = try dir.write("plant.yaml", Self.plant(port: port, devices: 10, tags: 10, poll: "100ms"))
        let config = try dir.write("kiln.yaml", "devices:\n  - plant.yaml\nshutdown_timeout: 1s\n")
        let kiln = try kilnBinary()
        let simulator = try Child([kiln, "simulate", map], log: dir.file("simulate.log"))
        defer { simulator.signal(SIGTERM) }
        #expect(eventually { simulator.output.contains("serving dev-1 (unit 1)") }, "\(simulator.output)")

        let run = Process()
        run.executableURL = URL(fileURLWithPath: kiln)
        run.arguments = ["run", config, "--json"]
        let stdout = Pipe()  // never read: 1,000 JSON lines a second fill it within a second
        run.standardOutput = stdout
        _ = FileManager.default.createFile(atPath: dir.file("run.log"), contents: nil)
        run.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("run.log")))
        try run.run()
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }
        func log() -> String { (try? String(contentsOfFile: dir.file("run.log"), encoding: .utf8)) ?? "" }
        #expect(eventually { log().contains("polling") })
        usleep(2_000_000)
        kill(run.processIdentifier, SIGTERM)
        #expect(eventually(timeout: .seconds(60)) { !run.isRunning }, "kiln run hung past its bound: \(log())")
        #expect(run.terminationStatus == 1, "\(log())")
        #expect(log().contains("kiln run: abandoned: sink json: "), "\(log())")
        #expect(log().contains("pipeline: "), "the summary still comes: \(log())")
    }
}
