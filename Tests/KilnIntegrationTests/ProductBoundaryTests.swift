import Foundation
import Testing

/// The product is `kiln` with the user's commands only; the benchmark drivers and the trace
/// generators live in `kiln-bench` and KilnTraces, outside it.
struct ProductBoundaryTests {
    static let userCommands: Set<String> = [
        "check", "read", "probe", "simulate", "run", "tune", "replay", "export", "alarms", "hooks", "remediation",
    ]

    /// The names listed under SUBCOMMANDS in `--help` output.
    static func subcommands(inHelp help: String) -> Set<String> {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("SUBCOMMANDS:") }) else { return [] }
        var names: Set<String> = []
        for line in lines[(start + 1)...] {
            guard line.hasPrefix("  ") else { break }
            // A name sits at two spaces; a wrapped abstract continues further in.
            guard !line.hasPrefix("   "), let name = line.split(separator: " ").first else { continue }
            names.insert(String(name))
        }
        return names
    }

    @Test func helpListsOnlyTheUserCommands() throws {
        let help = try KilnCLI.run(["--help"])
        #expect(help.exitCode == 0, "\(help)")
        #expect(Self.subcommands(inHelp: help.stdout) == Self.userCommands, "\(help.stdout)")
        #expect(!help.stdout.lowercased().contains("bench"))
        // The old hidden drivers are gone, not just hidden.
        for old in [
            ["bench", "poll"], ["bench-historian", "init", "--db", "/nonexistent/h.db"], ["bench-conditioning"],
        ] {
            let result = try KilnCLI.run(old)
            #expect(result.exitCode != 0, "kiln \(old.joined(separator: " ")) still runs: \(result)")
        }
    }

    @Test func benchDriversAnswerInKilnBench() throws {
        let child = try ChildProcess([try Self.kilnBench(), "--help"])
        let status = child.wait(timeout: .seconds(30))
        if status == nil { child.signal(SIGKILL) }
        child.waitForOutput()
        #expect(status == .exited(0))
        let help = child.stdout.text
        #expect(
            Self.subcommands(inHelp: help) == [
                "poll", "conditioning", "historian", "pipeline", "alarms", "hooks-throughput", "alarm-latency",
            ], "\(help)")
    }

    /// Strings that only benchmark or trace-generator code puts in a binary: the kiln-bench
    /// module's and KilnTraces' mangled names, their types, the old subcommand names.
    static let benchMarkers = [
        "10kiln_bench", "KilnTraces", "SyntheticTrace", "RMSGrid", "ConditioningSuite", "ThermalBank",
        "BenchPoll", "bench-historian", "bench-conditioning",
    ]

    @Test func theKilnBinaryHoldsNoBenchmarkCode() throws {
        let kiln = try Data(contentsOf: URL(fileURLWithPath: try Repository.kiln()))
        let bench = try Data(contentsOf: URL(fileURLWithPath: try Self.kilnBench()))
        for marker in Self.benchMarkers {
            #expect(kiln.range(of: Data(marker.utf8)) == nil, "kiln holds \(marker)")
        }
        // The scan finds what is there: kiln-bench holds its own module and KilnTraces.
        for marker in ["10kiln_bench", "KilnTraces", "SyntheticTrace", "ConditioningSuite"] {
            #expect(bench.range(of: Data(marker.utf8)) != nil, "kiln-bench lacks \(marker): the scan proves nothing")
        }
    }

    /// `kiln-bench`, built beside `kiln`.
    static func kilnBench() throws -> String {
        let path = URL(fileURLWithPath: try Repository.kiln()).deletingLastPathComponent()
            .appendingPathComponent("kiln-bench").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Repository.MissingBinary(searched: [path])
        }
        return path
    }
}
