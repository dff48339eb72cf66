import KilnCore
import KilnSignal
import KilnTraces

/// The fault-injection suite: each kind injected into its own generated traces.
extension ConditioningSuite {
    /// A clean noisy first-order trace to inject a fault into, with a tag that fits it.
    struct Base {
        var trace: SyntheticTrace
        var tau: Double
        var interval: Double
        var noise: Double
        var maxRate: Double
        var quantum: Double

        init(random: inout SplitMix64, minimumDuration: Double = 0, quantum: Double = 0) {
            let taus = [10.0, 30, 90, 300, 1800]
            let intervals = [0.1, 0.5, 1, 5, 15, 60]
            var tau = 90.0
            var interval = 1.0
            repeat {
                tau = taus[Int(random.uniform() * Double(taus.count))]
                interval = intervals[Int(random.uniform() * Double(intervals.count))]
            } while max(6 * tau, 300 * interval, minimumDuration) / interval > 20_000
            let duration = max(6 * tau, 300 * interval, minimumDuration)
            noise = quantum > 0 ? quantum * (1 + 2 * random.uniform()) : 0.02 + 0.5 * random.uniform()
            let amplitude = noise * (5 + 200 * random.uniform())
            let steps = SyntheticTrace.randomSteps(
                duration: duration, start: 20, amplitude: amplitude, minHold: 2 * tau, maxHold: 5 * tau,
                seed: random.next())
            trace = SyntheticTrace(
                tau: tau, interval: interval, duration: duration, steps: steps, noise: noise, quantum: quantum,
                jitter: 0.1, missed: 0.01, seed: random.next())
            self.tau = tau
            self.interval = interval
            self.quantum = quantum
            maxRate = max(trace.steepest, noise / tau) * (1.2 + 0.8 * random.uniform())
        }

        func tag(stuck: Double? = nil, range: ClosedRange<Double>? = nil, sentinels: [Double] = []) -> TagConfig {
            SyntheticTrace.tag(
                tau: tau, maxRate: maxRate, noise: noise, quantum: quantum, poll: interval, stuck: stuck,
                range: range, sentinels: sentinels)
        }

        /// A point index in the middle half with a reading, far enough from the end.
        func index(random: inout SplitMix64, leaving tail: Int = 0) -> Int {
            let n = trace.points.count
            while true {
                let i = n / 4 + Int(random.uniform() * Double(max(n / 2 - tail, 1)))
                if trace.points[i].reading != nil { return i }
            }
        }
    }

    /// Detections and delays of one fault kind.
    struct Tally {
        var injected = 0
        var detected = 0
        var delays: [Double] = []
        var falseBefore = 0

        mutating func report(_ kind: String, unit: String, into report: inout BenchReport) {
            report.add("fault_\(kind)_injected", injected)
            report.add("fault_\(kind)_detection_rate", Double(detected) / Double(max(injected, 1)))
            report.add("fault_\(kind)_delay_median_\(unit)", ConditioningSuite.median(delays), digits: 3)
            report.add("fault_\(kind)_false_faults_before", falseBefore)
        }
    }

    static func faults(traces: Int, seed: UInt64, verbose: Bool, into report: inout BenchReport) {
        var random = SplitMix64(seed: seed &+ 202)
        let before = report.traces
        spikes(traces, &random, verbose, &report)
        rates(traces, &random, verbose, &report)
        stuck(traces, &random, verbose, &report)
        stale(traces, &random, verbose, &report)
        outOfRange(traces, &random, verbose, &report)
        sentinels(traces, &random, verbose, &report)
        communication(traces, &random, &report)
        report.add("fault_traces", report.traces - before)
    }

    /// Faults flagged before `index` (false alarms on the clean part).
    static func faultsBefore(_ index: Int, _ out: [ConditionedReading]) -> Int {
        out[..<index].filter { $0.fault != .none }.count
    }

    // MARK: Spikes

    /// Five one-sample spikes per trace, each larger than the step max_rate allows plus the
    /// noise band (6σ), by 1.5–10×. Counted as detected when the sample is marked spike (or
    /// rate); passed when the conditioned value jumped by half the spike or more.
    static func spikes(_ traces: Int, _ random: inout SplitMix64, _ verbose: Bool, _ report: inout BenchReport) {
        var tally = Tally()
        var passed = 0
        var worstLeak = 0.0
        var rateOnly = Tally()
        for round in 0..<2 {
            for _ in 0..<traces {
                var base = Base(random: &random)
                report.traces += 1
                var spikes: [(Int, Double)] = []
                let n = base.trace.points.count
                var i = 20 + Int(random.uniform() * 10)
                while i < n - 2, spikes.count < 5 {
                    if base.trace.points[i].reading != nil, base.trace.points[i - 1].reading != nil {
                        let dt = base.trace.points[i].seconds - base.trace.points[i - 1].seconds
                        let sign: Double = random.uniform() < 0.5 ? -1 : 1
                        // Round 0: beyond the noise band; round 1: max_rate alone (2–10×).
                        let size =
                            round == 0
                            ? sign * (base.maxRate * dt + 6 * base.noise) * (1.5 + 8.5 * random.uniform())
                            : sign * base.maxRate * dt * (2 + 8 * random.uniform())
                        base.trace.points[i].reading! += size
                        spikes.append((i, size))
                    }
                    i += n / 6
                }
                let out = base.trace.conditioned(by: base.tag())
                for (i, size) in spikes {
                    let hit = out[i].fault == .spike || out[i].fault == .rate
                    if round == 0 {
                        tally.injected += 1
                        if hit {
                            tally.detected += 1
                            tally.delays.append(0)
                        }
                        if let value = out[i].value, let before = out[i - 1].value {
                            let leak = (value - before) / size
                            worstLeak = max(worstLeak, leak)
                            if leak > 0.5 { passed += 1 }
                        }
                    } else {
                        rateOnly.injected += 1
                        if hit {
                            rateOnly.detected += 1
                            rateOnly.delays.append(0)
                        }
                    }
                    if verbose, !hit, round == 0 {
                        print(
                            "# spike missed: tau=\(base.tau) dt=\(base.interval) noise=\(base.noise) "
                                + "max_rate=\(base.maxRate) size=\(size) fault=\(out[i].fault)")
                    }
                }
                let spikeIndices = Set(spikes.map(\.0))
                let others = out.indices.filter {
                    !spikeIndices.contains($0) && out[$0].fault != .none && !spikeIndices.contains($0 - 1)
                }
                if round == 0 { tally.falseBefore += others.count } else { rateOnly.falseBefore += others.count }
            }
        }
        tally.report("spike", unit: "samples", into: &report)
        report.add("fault_spike_passed_into_value", passed)
        report.add("fault_spike_worst_leak_fraction", worstLeak, digits: 4)
        report.add("fault_spike_maxrate_only_injected", rateOnly.injected)
        report.add(
            "fault_spike_maxrate_only_detection_rate", Double(rateOnly.detected) / Double(max(rateOnly.injected, 1)))
    }

    // MARK: Rate

    /// From the middle of the trace on, the reading drifts at 2–6× max_rate on top of the process.
    static func rates(_ traces: Int, _ random: inout SplitMix64, _ verbose: Bool, _ report: inout BenchReport) {
        var tally = Tally()
        var delaySamples: [Double] = []
        for _ in 0..<traces {
            var base = Base(random: &random)
            report.traces += 1
            let start = base.index(random: &random, leaving: 60)
            let rate = (random.uniform() < 0.5 ? -1 : 1) * base.maxRate * (2 + 4 * random.uniform())
            let t0 = base.trace.points[start].seconds
            for i in start..<base.trace.points.count where base.trace.points[i].reading != nil {
                base.trace.points[i].reading! += rate * (base.trace.points[i].seconds - t0 + base.interval)
            }
            let out = base.trace.conditioned(by: base.tag())
            tally.injected += 1
            tally.falseBefore += faultsBefore(start, out)
            if let first = out[start...].firstIndex(where: { $0.fault == .rate }) {
                tally.detected += 1
                tally.delays.append(base.trace.points[first].seconds - t0)
                delaySamples.append(Double(first - start))
            } else if verbose {
                print("# rate missed: tau=\(base.tau) dt=\(base.interval) noise=\(base.noise) rate=\(rate)")
            }
        }
        tally.report("rate", unit: "s", into: &report)
        report.add("fault_rate_delay_median_samples", median(delaySamples), digits: 1)
    }

    // MARK: Stuck

    /// The reading freezes at its value (the register holds) for 2.5 × `stuck`; half the traces
    /// on an int16 register scaled by 0.1. Detected when flagged stuck within 1.2 × `stuck`.
    static func stuck(_ traces: Int, _ random: inout SplitMix64, _ verbose: Bool, _ report: inout BenchReport) {
        var tally = Tally()
        var bad = 0
        for k in 0..<traces {
            let quantum = k % 2 == 1 ? 0.1 : 0
            let stuckFor = 600.0
            var base = Base(random: &random, minimumDuration: 8 * stuckFor, quantum: quantum)
            let stuck = max(stuckFor, 20 * base.interval)
            let tail = Int(2.6 * stuck / base.interval)
            guard base.trace.points.count > tail + 40 else { continue }
            var start = base.trace.points.count - tail - Int(random.uniform() * 10) - 1
            while base.trace.points[start].reading == nil { start -= 1 }
            let held = base.trace.points[start].reading
            report.traces += 1
            let t0 = base.trace.points[start].seconds
            var end = start
            for i in start..<base.trace.points.count where base.trace.points[i].seconds - t0 <= 2.5 * stuck {
                if base.trace.points[i].reading != nil { base.trace.points[i].reading = held }
                end = i
            }
            let out = base.trace.conditioned(by: base.tag(stuck: stuck))
            tally.injected += 1
            tally.falseBefore += faultsBefore(start, out)
            if let first = out[start...end].firstIndex(where: { $0.fault == .stuck }) {
                let delay = (base.trace.points[first].seconds - t0) / stuck
                if delay <= 1.2 { tally.detected += 1 }
                tally.delays.append(delay)
                if out[start...end].contains(where: { $0.fault == .stuck && $0.status.isBad }) { bad += 1 }
            } else if verbose {
                print("# stuck missed: tau=\(base.tau) dt=\(base.interval) noise=\(base.noise) q=\(quantum)")
            }
        }
        tally.report("stuck", unit: "stuck_periods", into: &report)
        report.add("fault_stuck_delay_max_stuck_periods", tally.delays.max() ?? .nan, digits: 3)
        report.add("fault_stuck_bad_after_twice_rate", Double(bad) / Double(max(tally.injected, 1)))
    }

    // MARK: Stale

    /// Six polls in a row bring nothing: stale once more than three poll periods pass without a
    /// reading (the delay is counted in poll periods from the last fresh reading).
    static func stale(_ traces: Int, _ random: inout SplitMix64, _ verbose: Bool, _ report: inout BenchReport) {
        var tally = Tally()
        for _ in 0..<traces {
            var base = Base(random: &random)
            report.traces += 1
            let start = base.index(random: &random, leaving: 10)
            for i in start..<(start + 6) { base.trace.points[i].reading = nil }
            let out = base.trace.conditioned(by: base.tag())
            tally.injected += 1
            tally.falseBefore += faultsBefore(start, out)
            let fresh = base.trace.points[start - 1].seconds
            if let first = out[start..<(start + 6)].firstIndex(where: { $0.fault == .stale }) {
                tally.detected += 1
                tally.delays.append((base.trace.points[first].seconds - fresh) / base.interval)
            } else if verbose {
                print("# stale missed: dt=\(base.interval)")
            }
        }
        tally.report("stale", unit: "poll_periods", into: &report)
    }

    // MARK: Range and sentinels

    /// One reading beyond the instrument's range (above or below).
    static func outOfRange(
        _ traces: Int, _ random: inout SplitMix64, _ verbose: Bool, _ report: inout BenchReport
    ) {
        var tally = Tally()
        for _ in 0..<traces {
            var base = Base(random: &random)
            report.traces += 1
            let readings = base.trace.points.compactMap(\.reading)
            let low = (readings.min() ?? 0) - 1
            let high = (readings.max() ?? 0) + 1
            let start = base.index(random: &random)
            base.trace.points[start].reading = random.uniform() < 0.5 ? high + 1 + random.uniform() : low - 1
            let out = base.trace.conditioned(by: base.tag(range: low...high))
            tally.injected += 1
            tally.falseBefore += faultsBefore(start, out)
            if out[start].fault == .range, out[start].value == nil {
                tally.detected += 1
                tally.delays.append(0)
            }
        }
        tally.report("range", unit: "samples", into: &report)
    }

    /// An int16 register (scale 0.1) reads 32767 or −32768 (open loop, overrange), listed as sentinels.
    static func sentinels(
        _ traces: Int, _ random: inout SplitMix64, _ verbose: Bool, _ report: inout BenchReport
    ) {
        var tally = Tally()
        for _ in 0..<traces {
            var base = Base(random: &random, quantum: 0.1)
            report.traces += 1
            let start = base.index(random: &random)
            base.trace.points[start].reading = random.uniform() < 0.5 ? 3276.7 : -3276.8
            let out = base.trace.conditioned(by: base.tag(sentinels: [32767, -32768]))
            tally.injected += 1
            tally.falseBefore += faultsBefore(start, out)
            if out[start].fault == .range, out[start].value == nil {
                tally.detected += 1
                tally.delays.append(0)
            }
        }
        tally.report("sentinel", unit: "samples", into: &report)
    }

    // MARK: Communication

    /// Polls the poller reports bad (timeout) pass through the gateway's Conditioner as comm faults.
    static func communication(_ traces: Int, _ random: inout SplitMix64, _ report: inout BenchReport) {
        var tally = Tally()
        for _ in 0..<traces {
            let base = Base(random: &random)
            report.traces += 1
            let device = DeviceConfig(name: "d", host: "127.0.0.1", tags: [base.tag()])
            var conditioner = Conditioner(config: GatewayConfig(path: "", devices: [device]))
            let start = base.index(random: &random, leaving: 5)
            var flagged = true
            for (i, point) in base.trace.points.enumerated() {
                guard let reading = point.reading else { continue }
                let failed = i >= start && i < start + 3
                var sample = Sample(
                    device: 0, tag: 0, value: failed ? nil : .double(reading), raw: failed ? nil : .double(reading),
                    unscaled: failed ? nil : .double(reading), status: failed ? .badTimeout : .good,
                    reason: failed ? "timeout" : nil, timestamp: point.time)
                conditioner.condition(&sample)
                if failed, sample.fault != .comm || sample.value != nil || sample.status != .badTimeout {
                    flagged = false
                }
                if !failed, i < start, sample.fault != .none { tally.falseBefore += 1 }
            }
            tally.injected += 1
            if flagged {
                tally.detected += 1
                tally.delays.append(0)
            }
        }
        tally.report("comm", unit: "samples", into: &report)
    }
}
