import KilnCore

/// Thermal test signals for the historian benchmarks: first-order step responses with Gaussian
/// noise, quantised exactly as a Modbus register would quantise them (float32, scaled int16, …),
/// at each tag's poll period with a few hundred microseconds of reply latency.
struct BenchSignals {
    /// A small, fast, deterministic generator (xorshift64*), so every run sees the same data.
    struct Random {
        var state: UInt64

        init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

        @inline(__always) mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }

        /// Uniform in [0, 1).
        @inline(__always) mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

        /// Standard normal (Box–Muller; one of the pair is enough here).
        @inline(__always) mutating func gaussian() -> Double {
            let u = max(uniform(), 1e-300)
            let v = uniform()
            return (-2 * _log(u)).squareRoot() * _cos(2 * Double.pi * v)
        }
    }

    /// One simulated tag's state.
    struct Channel {
        let device: Int
        let tag: Int
        let config: TagConfig
        let simulation: TagSimulation
        /// Poll period, µs.
        let period: Int64
        var level: Double
        var last: Int64?
    }

    var channels: [Channel]
    /// Channels read in one Modbus request (one read block of the device's plan): they share
    /// each cycle's reply time, as the poller stamps a whole block at once.
    var groups: [(period: Int64, order: Int, channels: [Int])] = []
    var random: Random
    /// Mean and spread of the reply latency added to each poll deadline, µs.
    var latency: Double = 400
    var jitter: Double = 120

    /// Channels for every tag, grouped by the device's read plan.
    init(config: GatewayConfig, seed: UInt64 = 42) {
        random = Random(seed: seed)
        channels = []
        for (d, device) in config.devices.enumerated() {
            var index: [Int: Int] = [:]
            for (t, tag) in device.tags.enumerated() {
                let simulation = tag.simulation ?? TagSimulation()
                index[t] = channels.count
                channels.append(
                    Channel(
                        device: d, tag: t, config: tag, simulation: simulation,
                        period: max(tag.poll.nanoseconds / 1000, 1), level: simulation.value))
            }
            for scan in ReadPlanner.plan(device) {
                for (order, block) in scan.blocks.enumerated() {
                    groups.append((max(scan.period.nanoseconds / 1000, 1), order, block.tags.compactMap { index[$0] }))
                }
            }
        }
    }

    /// The value the simulated instrument reads at `elapsed` seconds (before register quantisation).
    @inline(__always)
    mutating func reading(_ c: inout Channel, at time: Int64, start: Int64) -> Value {
        let s = c.simulation
        if c.config.type == .string { return .string(s.text ?? "") }
        let elapsed = Double(time - start) / 1e6
        var heading = s.value
        if let target = s.target {
            heading = target
            if let period = s.period, period > .zero {
                let half = Int((elapsed / period.seconds).rounded(.down))
                heading = half % 2 == 0 ? target : s.value
            }
        }
        if c.config.type == .bool {
            var on = s.value != 0
            if let period = s.period, period > .zero, Int((elapsed / period.seconds).rounded(.down)) % 2 == 1 {
                on.toggle()
            }
            return .bool(on)
        }
        let dt = c.last.map { Double(time - $0) / 1e6 } ?? 0
        c.last = time
        let tau = max(s.tau.seconds, 1e-3)
        c.level += (heading - c.level) * (1 - _exp(-dt / tau))
        var x = c.level
        if s.noise > 0 { x += s.noise * random.gaussian() }
        // Through the registers, exactly as the poller would decode them.
        let words = Decoding.encode(.double(x), tag: c.config)
        return Decoding.decode(words: words, tag: c.config)
    }

    /// Samples for every read whose poll falls in [from, to): each block's tags share its reply
    /// time, `latency` (plus `jitter`) after the deadline, blocks of a cycle one after another.
    mutating func samples(from: Int64, to: Int64, start: Int64, into out: inout [Sample]) {
        for group in groups {
            let period = group.period
            var k = (from - start + period - 1) / period
            while start + k * period < to {
                let deadline = start + k * period
                let delay = latency * Double(group.order + 1) + jitter * random.gaussian()
                let time = deadline + Int64(delay).clamped(0, period / 2)
                for i in group.channels {
                    var channel = channels[i]
                    let value = reading(&channel, at: time, start: start)
                    channels[i] = channel
                    out.append(
                        Sample(
                            device: channel.device, tag: channel.tag, value: value, raw: value, status: .good,
                            timestamp: time))
                }
                k += 1
            }
        }
    }
}

extension Int64 {
    @inline(__always) func clamped(_ low: Int64, _ high: Int64) -> Int64 { Swift.min(Swift.max(self, low), high) }
}

#if canImport(Glibc)
    import Glibc
    @inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
    @inline(__always) func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#endif
