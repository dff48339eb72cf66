import KilnCore
import KilnSignal
import KilnTraces

/// The generated traces of `kiln-bench conditioning` and what is measured on them.
enum ConditioningSuite {
    // MARK: - Clean traces: nothing may be a fault

    /// First-order transients with noise over τ 10 s–30 min and polls 100 ms–60 s, with jitter and
    /// missed polls; plus quantised int16 registers, a register that updates every 30 s, steps
    /// of the reading within max_rate and drifts within max_rate.
    static func clean(seed: UInt64, verbose: Bool, into report: inout BenchReport) {
        var random = SplitMix64(seed: seed &+ 101)
        var traces = 0
        var samples = 0
        var faults = 0
        var byKind: [String: Int] = [:]
        func count(_ name: String, _ trace: SyntheticTrace, _ tag: TagConfig) {
            let out = trace.conditioned(by: tag)
            let bad = out.filter { $0.fault != .none }
            traces += 1
            samples += out.count
            faults += bad.count
            for r in bad { byKind[r.fault.rawValue, default: 0] += 1 }
            if verbose || !bad.isEmpty {
                let first = out.firstIndex { $0.fault != .none }.map { "first at #\($0): \(out[$0].fault)" } ?? ""
                print("# clean \(name): n=\(out.count) faults=\(bad.count) \(first)")
            }
        }
        for tau in [10.0, 30, 90, 300, 1800] {
            for interval in [0.1, 0.5, 1, 5, 15, 60] {
                let duration = max(8 * tau, 60 * interval)
                guard duration / interval <= 150_000 else { continue }
                for variant in 0..<2 {
                    let noise = 0.02 + 0.3 * random.uniform()
                    let amplitude = noise * (3 + 300 * random.uniform())
                    let quantum = variant == 1 ? 0.1 : 0
                    let steps = SyntheticTrace.randomSteps(
                        duration: duration, start: 20, amplitude: amplitude, minHold: 2 * tau, maxHold: 5 * tau,
                        seed: random.next())
                    let trace = SyntheticTrace(
                        tau: tau, interval: interval, duration: duration, steps: steps, noise: noise,
                        quantum: quantum, jitter: 0.1, missed: 0.02, seed: random.next())
                    let maxRate = max(trace.steepest, noise / tau) * (1 + 2 * random.uniform())
                    let tag = SyntheticTrace.tag(
                        tau: tau, maxRate: maxRate, noise: noise, quantum: quantum, poll: interval,
                        stuck: max(600, 20 * interval))
                    count("tau=\(tau) dt=\(interval) q=\(quantum) A/noise=\(Int(amplitude / noise))", trace, tag)
                }
            }
        }
        // Stress: max_rate exactly the steepest slope, steps of up to 3000 noise floors, polls
        // jittered by ±50% with gaps of up to 10 polls, and a configured τ off by −30% or +40%.
        for tau in [10.0, 90, 600, 1800] {
            for interval in [0.1, 1, 10, 60] {
                let duration = max(10 * tau, 100 * interval)
                guard duration / interval <= 150_000 else { continue }
                for mismatch in [0.7, 1.0, 1.4] {
                    let noise = 0.05
                    let amplitude = noise * [30.0, 300, 3000][Int(random.uniform() * 3)]
                    let steps = SyntheticTrace.randomSteps(
                        duration: duration, start: 20, amplitude: amplitude, minHold: 1.5 * tau, maxHold: 4 * tau,
                        seed: random.next())
                    var trace = SyntheticTrace(
                        tau: tau, interval: interval, duration: duration, steps: steps, noise: noise, jitter: 0.5,
                        seed: random.next())
                    var kept: [SyntheticTrace.Point] = []
                    var i = 0
                    while i < trace.points.count {
                        kept.append(trace.points[i])
                        i += random.uniform() < 0.02 ? 1 + Int(random.uniform() * 10) : 1
                    }
                    trace.points = kept
                    let tag = SyntheticTrace.tag(
                        tau: tau * mismatch, maxRate: trace.steepest, noise: noise, poll: interval,
                        stuck: max(600, 20 * interval))
                    count(
                        "stress tau=\(tau) dt=\(interval) tau_config=\(tau * mismatch) A/noise=\(Int(amplitude / noise))",
                        trace, tag)
                }
            }
        }
        // The simulated plant's square waves.
        for (tau, period, low, high, noise, interval) in [
            (90.0, 600.0, 20.0, 82.0, 0.15, 0.5), (20, 60, 48, 52, 0.4, 1), (20, 60, 31, 32.4, 0.3, 1),
            (10, 1200, 0, 2950, 4, 1), (1800, 3600, 22, 27, 0.05, 5),
        ] {
            let duration = 6 * period
            let trace = SyntheticTrace(
                tau: tau, interval: interval, duration: duration, start: low,
                steps: SyntheticTrace.squareWave(duration: duration, low: low, high: high, period: period),
                noise: noise, jitter: 0.05, missed: 0.01, seed: random.next())
            let tag = SyntheticTrace.tag(
                tau: tau, maxRate: trace.steepest * 1.2, noise: noise, poll: interval, stuck: 600)
            count("square tau=\(tau) period=\(period)", trace, tag)
        }
        // A register the device updates only every 30 s, polled every second.
        for tau in [90.0, 300, 1800] {
            let duration = 8 * tau
            let steps = SyntheticTrace.randomSteps(
                duration: duration, start: 50, amplitude: 20, minHold: 2 * tau, maxHold: 4 * tau, seed: random.next())
            var trace = SyntheticTrace(
                tau: tau, interval: 1, duration: duration, start: 50, steps: steps, noise: 0.1, seed: random.next())
            var held: Double?
            var heldAt: Int64 = -1
            for i in trace.points.indices {
                let t = trace.points[i].time
                if held == nil || t - heldAt >= 30_000_000 {
                    held = trace.points[i].reading
                    heldAt = t
                }
                trace.points[i].reading = held
            }
            let tag = SyntheticTrace.tag(tau: tau, maxRate: trace.steepest * 1.5, noise: 0.1, poll: 1, stuck: 600)
            count("held-30s tau=\(tau)", trace, tag)
        }
        // Steps of the reading itself and drifts, each within max_rate.
        for (interval, maxRate) in [(0.5, 0.5), (1.0, 0.2), (10.0, 0.05), (60.0, 0.01)] {
            for kind in ["steps", "drift"] {
                let noise = 0.05
                let n = 600
                var points: [SyntheticTrace.Point] = []
                var level = 40.0
                var slope = 0.0
                for i in 0..<n {
                    if kind == "steps", i % 12 == 6 {
                        level += (random.uniform() < 0.5 ? -1 : 1) * (0.3 + 0.5 * random.uniform()) * maxRate * interval
                    }
                    if kind == "drift", i % 100 == 0 { slope = (2 * random.uniform() - 1) * 0.8 * maxRate }
                    if kind == "drift" { level += slope * interval }
                    let reading = level + noise * random.gaussian()
                    points.append(.init(time: Int64(Double(i) * interval * 1e6), clean: level, reading: reading))
                }
                var trace = SyntheticTrace(tau: 60, interval: interval, duration: 0)
                trace.points = points
                let tag = SyntheticTrace.tag(
                    tau: 60, maxRate: maxRate, noise: noise, poll: interval, stuck: max(600, 20 * interval))
                count("\(kind) dt=\(interval) max_rate=\(maxRate)", trace, tag)
            }
        }
        report.add("clean_traces", traces)
        report.add("clean_samples", samples)
        report.add("clean_false_faults", faults)
        report.add("clean_false_fault_rate", Double(faults) / Double(max(samples, 1)), digits: 8)
        for (kind, n) in byKind.sorted(by: { $0.key < $1.key }) { report.add("clean_false_faults_\(kind)", n) }
    }

    // MARK: - RMS error

    /// Noisy first-order traces sampled 20–200 times per τ: the conditioned value's RMS error
    /// against the noise-free signal, over the raw reading's and a fixed α = 0.2 average's.
    static func rms(seed: UInt64, verbose: Bool, into report: inout BenchReport) {
        var random = SplitMix64(seed: seed &+ 303)
        var worstRaw = 0.0
        var worstAverage = 0.0
        var ratiosRaw: [Double] = []
        var ratiosAverage: [Double] = []
        var failing = 0
        for tau in [30.0, 300] {
            for perTau in [20.0, 50, 200] {
                for amplitudeOverNoise in [5.0, 20, 100, 500] {
                    for shape in ["steps", "square"] {
                        let noise = 0.1
                        let amplitude = amplitudeOverNoise * noise
                        let interval = tau / perTau
                        let duration = 15 * tau
                        let steps =
                            shape == "square"
                            ? SyntheticTrace.squareWave(
                                duration: duration, low: 20, high: 20 + amplitude, period: 3 * tau)
                            : SyntheticTrace.randomSteps(
                                duration: duration, start: 20, amplitude: amplitude, minHold: 3 * tau,
                                maxHold: 6 * tau, seed: random.next())
                        let trace = SyntheticTrace(
                            tau: tau, interval: interval, duration: duration, steps: steps, noise: noise,
                            jitter: 0.1, missed: 0.02, seed: random.next())
                        let tag = SyntheticTrace.tag(
                            tau: tau, maxRate: trace.steepest * 1.5, noise: noise, poll: interval)
                        let conditioned = trace.rmsError(of: trace.conditioned(by: tag).map(\.value))
                        let raw = trace.rmsError(of: trace.points.map(\.reading))
                        let average = trace.rmsError(of: trace.fixedAlphaAverage())
                        let r = conditioned / raw
                        let a = conditioned / average
                        ratiosRaw.append(r)
                        ratiosAverage.append(a)
                        worstRaw = max(worstRaw, r)
                        worstAverage = max(worstAverage, a)
                        if r > 0.9 || a > 0.9 { failing += 1 }
                        if verbose || r > 0.9 || a > 0.9 {
                            print(
                                "# rms \(shape) tau=\(tau) per_tau=\(perTau) A/noise=\(amplitudeOverNoise): "
                                    + "vs raw \(BenchReport.format(r, digits: 3)) "
                                    + "vs alpha0.2 \(BenchReport.format(a, digits: 3))")
                        }
                    }
                }
            }
        }
        report.add("rms_traces", ratiosRaw.count)
        report.add("rms_ratio_to_raw_median", median(ratiosRaw), digits: 3)
        report.add("rms_ratio_to_raw_worst", worstRaw, digits: 3)
        report.add("rms_ratio_to_alpha02_median", median(ratiosAverage), digits: 3)
        report.add("rms_ratio_to_alpha02_worst", worstAverage, digits: 3)
        report.add("rms_traces_not_10pct_better", failing)
        // The wider grid of RMSGridTests: τ 10 s–30 min, 20–300 samples per τ, steps 3–1000 σ.
        let grid = RMSGrid.cases().map(RMSGrid.evaluate)
        report.add("rms_grid_cases", grid.count)
        report.add("rms_grid_worst_ratio", grid.map(\.ratio).max() ?? .nan, digits: 3)
        report.add("rms_grid_not_10pct_better", grid.filter { $0.ratio > 0.9 }.count)
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
