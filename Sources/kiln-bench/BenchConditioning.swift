import ArgumentParser
import KilnCommandLine
import KilnCore
import KilnSignal

/// `kiln-bench conditioning`: the conditioning benchmark of tools/bench/conditioning.sh.
struct BenchConditioning: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conditioning",
        abstract: "Fault-injection suite and throughput of the conditioning stage.",
        discussion: """
            Generates seeded first-order traces, injects faults, runs them through the conditioner \
            and prints `NAME VALUE` lines: per fault kind the detection rate and median delay, the \
            false-fault rate on clean traces, the conditioned value's RMS error against raw readings \
            and a fixed-alpha average, and samples per second on one core next to a fixed-alpha loop \
            over the same samples. See tools/bench/README-conditioning.md.
            """
    )

    @Option(name: .long, help: "Which parts to run: all, faults, clean, rms, throughput (comma-separated).")
    var only = "all"

    @Option(name: .long, help: "Traces per fault kind.")
    var traces = 40

    @Option(name: .long, help: "Seed of the generated traces.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Tags in the throughput run's gateway.")
    var tags = 1000

    @Option(name: .long, help: "Samples per tag in the throughput run.")
    var cycles = 500

    @Option(name: .long, help: "Throughput repetitions (best is kept).")
    var repeats = 5

    @Flag(name: .long, help: "Also print one line per generated trace (for tuning).")
    var verbose = false

    func run() throws {
        let parts = Set(only.split(separator: ",").map(String.init))
        let all = parts.contains("all")
        var report = BenchReport()
        if all || parts.contains("clean") { ConditioningSuite.clean(seed: seed, verbose: verbose, into: &report) }
        if all || parts.contains("faults") {
            ConditioningSuite.faults(traces: traces, seed: seed, verbose: verbose, into: &report)
        }
        if all || parts.contains("rms") { ConditioningSuite.rms(seed: seed, verbose: verbose, into: &report) }
        if all || parts.contains("throughput") {
            ConditioningThroughput(tags: tags, cycles: cycles, repeats: repeats).run(into: &report)
        }
        report.flush()
    }
}

/// `NAME VALUE` lines, printed as they come.
struct BenchReport {
    var lines: [(String, String)] = []
    /// Traces generated so far.
    var traces = 0

    mutating func add(_ name: String, _ value: Double, digits: Int = 4) {
        add(name, Self.format(value, digits: digits))
    }

    mutating func add(_ name: String, _ value: Int) { add(name, String(value)) }

    mutating func add(_ name: String, _ text: String) {
        print("\(name) \(text)")
        flushOutput()
        lines.append((name, text))
    }

    func flush() { flushOutput() }

    static func format(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return Value.format((value * scale).rounded() / scale)
    }
}
