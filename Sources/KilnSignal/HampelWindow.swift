/// The last five accepted readings, for a Hampel (median/MAD) test that does not depend on the
/// filter: it vetoes rejections a lagging filter alone would make.
struct HampelWindow: Sendable {
    static let capacity = 5
    private var v0 = 0.0, v1 = 0.0, v2 = 0.0, v3 = 0.0, v4 = 0.0
    private var t0: Int64 = 0, t1: Int64 = 0, t2: Int64 = 0, t3: Int64 = 0, t4: Int64 = 0
    private var next = 0
    private(set) var count = 0

    init() {}

    mutating func removeAll() {
        count = 0
        next = 0
    }

    mutating func append(_ value: Double, at time: Int64) {
        switch next {
        case 0: (v0, t0) = (value, time)
        case 1: (v1, t1) = (value, time)
        case 2: (v2, t2) = (value, time)
        case 3: (v3, t3) = (value, time)
        default: (v4, t4) = (value, time)
        }
        next = next == Self.capacity - 1 ? 0 : next + 1
        count = min(count + 1, Self.capacity)
    }

    /// Whether `y` at `time` is an outlier against the window: further from the window's median
    /// than `max_rate` allows since the median reading was taken plus `k` robust standard
    /// deviations (1.4826·MAD, never below `floor`) plus `quantum`. The time allowed counts from
    /// `changed` when that is earlier (a held register). Fewer than three readings say nothing,
    /// so they never veto.
    func isOutlier(
        _ y: Double, at time: Int64, since changed: Int64, maxRate: Double, k: Double, floor: Double,
        quantum: Double
    ) -> Bool {
        guard count >= 3 else { return true }
        let median = Self.median(v0, v1, v2, v3, v4, count: count)
        let deviation = Self.median(
            abs(v0 - median), abs(v1 - median), abs(v2 - median), abs(v3 - median), abs(v4 - median), count: count)
        // The time of the reading nearest the median (the median itself for odd counts).
        var medianTime = t0
        var best = abs(v0 - median)
        if abs(v1 - median) < best { (best, medianTime) = (abs(v1 - median), t1) }
        if abs(v2 - median) < best { (best, medianTime) = (abs(v2 - median), t2) }
        if count > 3, abs(v3 - median) < best { (best, medianTime) = (abs(v3 - median), t3) }
        if count > 4, abs(v4 - median) < best { (best, medianTime) = (abs(v4 - median), t4) }
        let age = Double(max(time - min(medianTime, changed), 0)) * 1e-6
        let scale = max(1.4826 * deviation, floor)
        return abs(y - median) > maxRate * age + k * scale + quantum
    }

    /// The median of the first `count` (3…5) values, by insertion sort in registers.
    @inline(__always)
    static func median(_ a: Double, _ b: Double, _ c: Double, _ d: Double, _ e: Double, count: Int) -> Double {
        var s = (a, b, c, d, e)
        withUnsafeMutableBytes(of: &s) { raw in
            let v = raw.bindMemory(to: Double.self)
            for i in 1..<count {
                let key = v[i]
                var j = i - 1
                while j >= 0, v[j] > key {
                    v[j + 1] = v[j]
                    j -= 1
                }
                v[j + 1] = key
            }
        }
        switch count {
        case 3: return s.1
        case 4: return (s.1 + s.2) / 2
        default: return s.2
        }
    }
}
