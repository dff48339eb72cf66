import KilnCore
import KilnSignal
import KilnTraces

/// Small helpers shared by the suites: traces are generated in the tests, seeded.
enum Signal {
    static let second: Int64 = 1_000_000

    /// A regular trace of `values` (nil = missed poll), `interval` seconds apart.
    static func trace(_ values: [Double?], interval: Double = 1) -> SyntheticTrace {
        var trace = SyntheticTrace(tau: 1, interval: interval, duration: 0)
        trace.points = values.enumerated().map { i, v in
            .init(time: Int64((Double(i) * interval * 1e6).rounded()), clean: v ?? .nan, reading: v)
        }
        return trace
    }

    /// A noisy first-order step response: `from` for one τ, then towards `to`.
    static func stepResponse(
        tau: Double, interval: Double, from: Double = 20, to: Double = 80, taus: Double = 6, noise: Double = 0.1,
        quantum: Double = 0, jitter: Double = 0, missed: Double = 0, seed: UInt64 = 1
    ) -> SyntheticTrace {
        SyntheticTrace(
            tau: tau, interval: interval, duration: taus * tau, start: from, steps: [(tau, to)], noise: noise,
            quantum: quantum, jitter: jitter, missed: missed, seed: seed)
    }

    static func faults(_ readings: [ConditionedReading]) -> [Fault] {
        readings.map(\.fault)
    }

    static func firstFault(_ readings: [ConditionedReading]) -> (index: Int, fault: Fault)? {
        readings.firstIndex { $0.fault != .none }.map { ($0, readings[$0].fault) }
    }
}
