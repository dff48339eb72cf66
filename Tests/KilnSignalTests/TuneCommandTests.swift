import Foundation
import KilnSignal
import Testing

/// `kiln tune` end to end through the built binary: the YAML to paste, and clear errors.
struct TuneCommandTests {
    static func run(_ csv: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-tune-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try csv.write(to: dir.appendingPathComponent("step.csv"), atomically: true, encoding: .utf8)
        return try ReplayGoldenTests.runKiln(["tune", "--input", "step.csv"], in: dir)
    }

    @Test func printsTheThermalBlockWithTheFitsError() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: ReplayGoldenTests.kiln.path), "run `swift build` first")
        let trace = Signal.stepResponse(tau: 90, interval: 1, from: 20, to: 82, taus: 7, noise: 0.15, seed: 61)
        var csv = "ts,value\n"
        for point in trace.points { csv += "\(1_718_000_000 + point.seconds),\(point.reading!)\n" }
        let result = try Self.run(csv)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("thermal:"))
        let tau = try #require(lines.first { $0.hasPrefix("  tau: ") }.flatMap { Double($0.dropFirst(7).dropLast()) })
        #expect(abs(tau - 90) < 3)
        let maxRate = try #require(lines.first { $0.hasPrefix("  max_rate: ") }.flatMap { Double($0.dropFirst(12)) })
        #expect(abs(maxRate - 62.0 / 90) < 0.03)
        let noise = try #require(lines.first { $0.hasPrefix("  noise: ") }.flatMap { Double($0.dropFirst(9)) })
        #expect(abs(noise - 0.15) < 0.02)
        #expect(lines.contains { $0.hasPrefix("# fit: tau") && $0.contains("±") })
    }

    @Test func badCSVNamesTheLineAndExitsOne() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: ReplayGoldenTests.kiln.path), "run `swift build` first")
        let result = try Self.run("ts,value\n1,20\n2,hot\n")
        #expect(result.status == 1)
        #expect(result.stderr == "step.csv:3: error: value 'hot' is not a number\n")
        #expect(result.stdout.isEmpty)
    }

    @Test func aTraceWithoutAStepIsAnError() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: ReplayGoldenTests.kiln.path), "run `swift build` first")
        let result = try Self.run(
            "ts,value\n" + (0..<50).map { "\($0),\(20 + 0.01 * Double($0 % 3))" }.joined(separator: "\n"))
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("step.csv: error: no step response in the trace"))
    }
}
