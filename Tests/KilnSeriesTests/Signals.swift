import Foundation

@testable import KilnSeries

/// A small seedable generator (SplitMix64), so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// One standard normal deviate (Box–Muller).
    mutating func gaussian() -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// A polled thermal signal like the demo plant's: first-order responses to a heat input that
/// toggles every `cycle`, Gaussian noise, a register's quantisation, and reply-time jitter.
struct ThermalTrace {
    enum Register {
        /// IEEE float32: every value is exactly `Double(Float(x))`.
        case float32
        /// A 16-bit integer times `scale`, as Kiln computes it: `Double(k) * scale + 0`.
        case scaled(Double)
    }

    var register: Register = .float32
    /// Poll period, microseconds.
    var period: Int64 = 1_000_000
    var low = 20.0
    var high = 82.0
    /// Time constant of the process, seconds.
    var tau = 90.0
    /// Time between heat-input toggles, seconds.
    var cycle = 600.0
    /// One standard deviation, engineering units.
    var noise = 0.05
    /// Reply time, microseconds: a floor with Gaussian spread, a slow tail (5%, exponential)
    /// and late replies (1%, 5–15 ms; 0.1%, 50–100 ms), shaped after 150 s of the demo plant
    /// polled by `kiln run` (offsets from the median: 1% −228, 25% −37, 75% +59, 95% +313,
    /// 99% +10309 µs).
    var latencyFloor = 300.0
    var latencySpread = 70.0
    var slowTail = 300.0
    var lateReplies = 0.01
    var missedPolls = 0.0005
    /// Wall clock against the monotonic schedule, parts per million.
    var drift = 2.0
    /// When set, `value` is an exponential filter of the reading with this time constant
    /// (seconds), as conditioning makes it; otherwise `value == raw`.
    var filter: Double?
    var start: Int64 = 1_795_000_000_000_000

    func points(_ count: Int, seed: UInt64) -> [Point] {
        var random = SeededGenerator(seed: seed)
        var points: [Point] = []
        points.reserveCapacity(count)
        var state = low
        var filtered: Double?
        var lastSeconds = 0.0
        var poll: Int64 = 0
        while points.count < count {
            poll += 1
            if Double.random(in: 0..<1, using: &random) < missedPolls { continue }
            let scheduled = Double(poll * period)
            var latency = latencyFloor + latencySpread * random.gaussian()
            let draw = Double.random(in: 0..<1, using: &random)
            if draw < 0.05 { latency -= slowTail * log(Double.random(in: Double.ulpOfOne..<1, using: &random)) }
            if draw < lateReplies { latency += Double.random(in: 5000..<15000, using: &random) }
            if draw < lateReplies / 10 { latency += Double.random(in: 50000..<100_000, using: &random) }
            let time = start + Int64((scheduled * (1 + drift * 1e-6) + latency).rounded())
            let seconds = scheduled / 1e6
            let target = Int(seconds / cycle) % 2 == 0 ? high : low
            state = target + (state - target) * exp(-(seconds - lastSeconds) / tau)
            let reading = quantise(state + noise * random.gaussian())
            var value = reading
            if let filter {
                let alpha = 1 - exp(-(seconds - lastSeconds) / filter)
                filtered = filtered.map { $0 + alpha * (reading - $0) } ?? reading
                value = filtered!
            }
            lastSeconds = seconds
            points.append(Point(time: time, value: value, raw: reading, status: 0))
        }
        return points
    }

    private func quantise(_ x: Double) -> Double {
        switch register {
        case .float32: Double(Float(x))
        case .scaled(let scale): Double(Int16(clamping: Int((x / scale).rounded()))) * scale + 0
        }
    }
}

extension Array where Element == Point {
    /// Bitwise equality, which `==` is not for NaN.
    func bitwiseEquals(_ other: [Point]) -> Bool {
        count == other.count
            && zip(self, other).allSatisfy { a, b in
                a.time == b.time && a.status == b.status && a.value?.bitPattern == b.value?.bitPattern
                    && a.raw?.bitPattern == b.raw?.bitPattern
            }
    }
}
