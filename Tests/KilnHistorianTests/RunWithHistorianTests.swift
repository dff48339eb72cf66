import Foundation
import KilnCore
import KilnTestSupport
import Testing

@testable import KilnHistorian

/// `kiln run` with a `historian:` section, against `kiln simulate`: the real binaries end to end.
struct RunWithHistorianTests {
    func start(_ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try kilnBinary())
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    func waitForExit(_ process: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    @Test(.timeLimit(.minutes(1)))
    func sigtermFlushesTheLastBatchBeforeExit() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let port = try freePort()
        try """
        devices:
          - name: boiler-1
            host: 127.0.0.1
            port: \(port)
            poll: 200ms
            tags:
              - { name: supply_temp, register: holding, address: 0, type: float32, unit: degC,
                  simulate: { value: 20, target: 82, tau: 90s, noise: 0.15 },
                  historian: { deadband: 0.01, compression: 0.02, max_interval: 5s } }
              - { name: drum_level, register: holding, address: 2, type: int16, scale: 0.1,
                  simulate: { value: 48, noise: 0.4 } }
              - { name: burner_on, register: coil, address: 0, type: bool, simulate: { value: true } }
        """.write(toFile: dir.file("plant.yaml"), atomically: true, encoding: .utf8)
        // flush: 30s — nothing is committed by time while the test runs: only the shutdown flush.
        try """
        devices:
          - plant.yaml
        historian:
          path: history.db
          flush: 30s
          raw_window: 24h
          retention: 365d
        """.write(toFile: dir.file("kiln.yaml"), atomically: true, encoding: .utf8)

        let check = try runTool([try kilnBinary(), "check", dir.file("kiln.yaml")])
        #expect(check.status == 0, Comment(rawValue: check.out + check.err))

        let simulator = try start(["simulate", dir.file("plant.yaml")], log: dir.file("simulate.log"))
        defer {
            if simulator.isRunning { kill(simulator.processIdentifier, SIGTERM) }
            simulator.waitUntilExit()
        }
        usleep(500_000)
        let run = try start(["run", dir.file("kiln.yaml"), "--quiet"], log: dir.file("run.log"))
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }
        usleep(2_500_000)
        kill(run.processIdentifier, SIGTERM)
        #expect(waitForExit(run, seconds: 10))
        let log = try String(contentsOfFile: dir.file("run.log"), encoding: .utf8)
        #expect(run.terminationStatus == 0, Comment(rawValue: log))
        #expect(log.contains("historian: "), Comment(rawValue: log))

        // The file is next to the config (paths are relative to it) and holds every tag.
        let reader = try HistoryReader(path: dir.file("history.db"))
        let now = WallClock.epochMicroseconds()
        for path in ["boiler-1/supply_temp", "boiler-1/drum_level", "boiler-1/burner_on"] {
            let points = try reader.points(of: reader.tag(path), from: now - 60_000_000, to: now + 1)
            #expect(points.count >= 5, "\(path): \(points.count) points")
            #expect(points.allSatisfy { $0.status == 0 && $0.value != nil }, "\(path)")
        }
        #expect(try reader.tag("boiler-1/supply_temp").descriptor.unit == "degC")
        #expect(try runTool(["sqlite3", dir.file("history.db"), "PRAGMA integrity_check"]).out == "ok\n")

        // kiln export finds the file through the gateway config.
        let export = try runTool([
            try kilnBinary(), "export", dir.file("kiln.yaml"), "--from", "-1h", "--tag", "boiler-1/burner_on",
        ])
        #expect(export.status == 0, Comment(rawValue: export.err))
        let lines = export.out.split(separator: "\r\n")
        #expect(lines.first == "ts,device,tag,value,raw,status")
        #expect(lines.count >= 6)
        // Every stored row is Good; the last row marks where the run stopped: not covered after it.
        #expect(lines.dropFirst().dropLast().allSatisfy { $0.hasSuffix(",boiler-1,burner_on,true,true,Good") })
        #expect(lines.last?.hasSuffix(",boiler-1,burner_on,,,BadNoData") == true, "\(lines.last ?? "")")
    }
}
