import Foundation
import KilnSignal
import KilnTraces
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
        #expect(result.stderr.isEmpty, "a clean step response warns of nothing")
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

    /// `ts,value` rows of `trace`'s readings from `from` seconds on, Unix seconds from 1718000000.
    static func csv(_ trace: SyntheticTrace, from: Double = 0) -> String {
        var csv = "ts,value\n"
        for point in trace.points where point.seconds >= from {
            guard let reading = point.reading else { continue }
            csv += "\(1_718_000_000 + point.seconds),\(reading)\n"
        }
        return csv
    }

    /// Each way a trace falls short gets its warning on stderr, and the block still comes out
    /// with exit 0 (the help says so); the block's comment points at the warnings.
    @Test(
        arguments: [
            // Starts 30 s after the step: no baseline.
            (
                "mid-transient", csv(Signal.stepResponse(tau: 90, interval: 1, taus: 7, seed: 71), from: 120),
                "step.csv: warning: the trace starts mid-transient: 0 readings before the step"
            ),
            // 1.5 τ after the step.
            (
                "short", csv(Signal.stepResponse(tau: 90, interval: 1, taus: 2.5, seed: 72)),
                "step.csv: warning: the trace holds 13"
            ),
            // A reading every 30 s against τ = 90 s.
            (
                "sparse", csv(Signal.stepResponse(tau: 90, interval: 30, taus: 12, noise: 0.05, seed: 73)),
                "step.csv: warning: only "
            ),
        ] as [(String, String, String)])
    func aTraceThatCannotSupportItsFitWarns(_ name: String, _ csv: String, _ warning: String) throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: ReplayGoldenTests.kiln.path), "run `swift build` first")
        let result = try Self.run(csv)
        #expect(result.status == 0, "\(name): \(result.stderr)")
        let warnings = result.stderr.split(separator: "\n")
        #expect(warnings.contains { $0.hasPrefix(warning) }, "\(name): \(result.stderr)")
        #expect(result.stderr.contains("; record "), "\(name): says what to record instead")
        #expect(result.stdout.contains("\nthermal:\n"), "\(name)")
        #expect(result.stdout.contains("# warning: the trace cannot fully support this fit"), "\(name)")
    }

    /// The tail of an earlier transient before the step: the baseline drifts.
    @Test func aDriftingBaselineWarns() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: ReplayGoldenTests.kiln.path), "run `swift build` first")
        // Heat went from 20 towards 50 at t = −60 s, then towards 82 at t = 150 s.
        let trace = SyntheticTrace(
            tau: 90, interval: 1, duration: 750, start: 20, steps: [(0, 50), (210, 82)], noise: 0.1, seed: 74)
        let result = try Self.run(Self.csv(trace, from: 60))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("step.csv: warning: the trace starts mid-transient: the reading drifts by "))
    }

    @Test(
        arguments: [
            (
                "ts,value\n1,20\n2,20\n1.5,20\n",
                "step.csv:4: error: timestamp '1.5' is earlier than line 3's '2'; timestamps must increase\n"
            ),
            ("ts,value\n1,20\n2,20\u{0}\n", "step.csv:3: error: value '20\\x00' is not a number\n"),
            (
                "ts,value\n1,20\n1,21\n",
                "step.csv:3: error: timestamp '1' repeats line 2's; every row needs a later time than the one before\n"
            ),
            (
                "ts,value\n1,20\n-9223372036854.775807,20\n",
                "step.csv:3: error: timestamp '-9223372036854.775807' is out of range: a trace's times lie in the years 1970 to 9999\n"
            ),
            (
                "ts,value\n1,20\n99999999999999999999,20\n",
                "step.csv:3: error: timestamp '99999999999999999999' is out of range: a trace's times lie in the years 1970 to 9999\n"
            ),
        ] as [(String, String)])
    func garbageAndBackwardsTimesAreErrorsOnTheirLine(_ csv: String, _ stderr: String) throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: ReplayGoldenTests.kiln.path), "run `swift build` first")
        let result = try Self.run(csv)
        #expect(result.status == 1)
        #expect(result.stderr == stderr)
        #expect(result.stdout.isEmpty)
    }

    /// Times 8,000 years apart and readings near Double's limit: an answer or an error, no trap.
    @Test func extremeTimesAndValuesDoNotTrap() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: ReplayGoldenTests.kiln.path), "run `swift build` first")
        let far =
            "ts,value\n" + (0..<12).map { "\($0),\($0 < 6 ? 20 : 40)" }.joined(separator: "\n")
            + "\n253402300799.999999,40\n"
        let farResult = try Self.run(far)
        #expect(farResult.status == 0 || farResult.status == 1, "\(farResult.stderr)")
        #expect(farResult.stderr.hasPrefix("step.csv: "))

        // From the most negative double to the most positive: a step no Double can hold.
        let edges = (0..<40).map {
            "\($0),\($0 < 10 ? -Double.greatestFiniteMagnitude : Double.greatestFiniteMagnitude)"
        }
        let extreme = try Self.run("ts,value\n" + edges.joined(separator: "\n") + "\n")
        #expect(extreme.status == 1)
        #expect(extreme.stderr.hasPrefix("step.csv: error: the fitted step or rate does not fit in a 64-bit float"))

        let huge = Signal.stepResponse(tau: 90, interval: 1, from: 2e306, to: 8e306, taus: 7, noise: 1e304, seed: 76)
        let hugeResult = try Self.run(Self.csv(huge))
        #expect(hugeResult.status == 0, "\(hugeResult.stderr)")
        let tau = try #require(
            hugeResult.stdout.split(separator: "\n").first { $0.hasPrefix("  tau: ") }
                .flatMap { Double($0.dropFirst(7).dropLast()) })
        #expect(abs(tau - 90) < 3)
        #expect(!hugeResult.stdout.contains("inf") && !hugeResult.stdout.contains("nan"))
    }
}
