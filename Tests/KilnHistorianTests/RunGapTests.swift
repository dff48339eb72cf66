import Foundation
import KilnCore
import KilnSeries
import KilnTestSupport
import Testing

@testable import KilnHistorian

/// `kiln run` twice against `kiln simulate`, stopped for a few seconds between: the real binaries.
struct RunGapTests {
    @Test(.timeLimit(.minutes(1)))
    func theTimeBetweenTwoRunsAndTheFutureExportAsNotCovered() async throws {
        let helper = RunWithHistorianTests()
        let dir = TempDir()
        defer { dir.cleanup() }
        let port = try freePort()
        try """
        devices:
          - name: boiler-1
            host: 127.0.0.1
            port: \(port)
            poll: 100ms
            tags:
              - { name: supply_temp, register: holding, address: 0, type: float32, unit: degC,
                  simulate: { value: 20, target: 82, tau: 90s, noise: 0.15 } }
              - { name: burner_on, register: coil, address: 0, type: bool, simulate: { value: true } }
        """.write(toFile: dir.file("plant.yaml"), atomically: true, encoding: .utf8)
        try """
        devices:
          - plant.yaml
        historian:
          path: history.db
          flush: 200ms
        """.write(toFile: dir.file("kiln.yaml"), atomically: true, encoding: .utf8)
        let simulator = try helper.start(["simulate", dir.file("plant.yaml")], log: dir.file("simulate.log"))
        defer {
            if simulator.isRunning { kill(simulator.processIdentifier, SIGTERM) }
            simulator.waitUntilExit()
        }
        try await Task.sleep(for: .milliseconds(500))
        for n in 1...2 {
            let run = try helper.start(["run", dir.file("kiln.yaml"), "--quiet"], log: dir.file("run\(n).log"))
            defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }
            // Long enough that, after a slow start on a loaded machine, each run still covers
            // several 250 ms intervals of Good samples.
            try await Task.sleep(for: .milliseconds(3500))
            kill(run.processIdentifier, SIGTERM)
            #expect(helper.waitForExit(run, seconds: 10))
            #expect(run.terminationStatus == 0)
            if n == 1 { try await Task.sleep(for: .seconds(3)) }
        }
        let db = dir.file("history.db")
        let reader = try HistoryReader(path: db)
        let runs = try reader.runs()
        try #require(runs.count == 2 && runs.allSatisfy { $0.ended == "stop" }, "\(runs)")
        let stopped = try #require(runs[0].end)
        #expect(runs[1].start - stopped > 2_500_000, "the gateway was down about 3 s")
        let now = WallClock.epochMicroseconds()
        let from = runs[0].start - second
        let to = now + 10 * second
        let covered = runs.flatMap(\.covered)
        for path in ["boiler-1/supply_temp", "boiler-1/burner_on"] {
            let rows = try reader.aggregates(
                of: reader.tag(path), from: from, to: to, every: 250_000, aggregates: [.last, .twa, .interpolated])
            // Every interval wholly outside both runs: the gap, and the future.
            let outside = rows.filter { row in covered.allSatisfy { !$0.overlaps(row.start..<row.end) } }
            #expect(outside.filter { $0.start > stopped && $0.end < runs[1].start }.count >= 8, "\(path)")
            #expect(outside.filter { $0.start >= now }.count >= 39, "\(path)")
            for row in outside where row.start >= stopped {
                #expect(row.worstStatus == Coverage.status && row.goodFraction == 0, "\(path) \(row)")
                #expect(row[.last] == nil && row[.twa] == nil && row[.interpolated] == nil, "\(path) \(row)")
            }
            // Inside the runs, after the first poll, the plant is Good.
            let inside = rows.filter { row in
                covered.contains { $0.lowerBound + 500_000 <= row.start && row.end <= $0.upperBound }
            }
            #expect(inside.count >= 8 && inside.allSatisfy { $0.worstStatus == 0 && $0.goodFraction == 1 }, "\(path)")
        }

        // The raw export marks where each run stopped.
        let export = try runTool([
            try kilnBinary(), "export", dir.file("kiln.yaml"), "--from", "-1h", "--to", "+1h", "--tag",
            "boiler-1/burner_on",
        ])
        #expect(export.status == 0, Comment(rawValue: export.err))
        let lines = export.out.split(separator: "\r\n").dropFirst()
        #expect(lines.filter { $0.hasSuffix(",boiler-1,burner_on,,,BadNoData") }.count == 2)
        #expect(lines.filter { !$0.hasSuffix(",BadNoData") }.allSatisfy { $0.hasSuffix(",true,true,Good") })
    }
}
