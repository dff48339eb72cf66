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

    /// Whether `y` at `time` is an outlier against the window: Hampel's identifier on the
    /// window's local trend. Each reading is carried forward to `time` along the window's robust
    /// slope (the median of its successive slopes, at most `max_rate`); `y` is an outlier when it
    /// is further from the median of those than `k` robust standard deviations (1.4826·MAD,
    /// never below `floor`) plus `quantum` plus the change of course `max_rate` allows since the
    /// newest reading. Fewer than three readings say nothing: never an outlier by this test.
    func isOutlier(
        _ y: Double, at time: Int64, maxRate: Double, k: Double, floor: Double, quantum: Double
    ) -> Bool {
        guard count >= 3 else { return true }
        // Oldest to newest.
        var v = (0.0, 0.0, 0.0, 0.0, 0.0)
        var t = (Int64(0), Int64(0), Int64(0), Int64(0), Int64(0))
        withUnsafeMutableBytes(of: &v) { vb in
            withUnsafeMutableBytes(of: &t) { tb in
                let values = vb.bindMemory(to: Double.self)
                let times = tb.bindMemory(to: Int64.self)
                let start = count == Self.capacity ? next : 0
                for i in 0..<count {
                    let slot = (start + i) % Self.capacity
                    values[i] = slot == 0 ? v0 : slot == 1 ? v1 : slot == 2 ? v2 : slot == 3 ? v3 : v4
                    times[i] = slot == 0 ? t0 : slot == 1 ? t1 : slot == 2 ? t2 : slot == 3 ? t3 : t4
                }
            }
        }
        let n = count
        let newest = n == 5 ? t.4 : n == 4 ? t.3 : t.2
        func slope(_ a: Double, _ ta: Int64, _ b: Double, _ tb: Int64) -> Double {
            tb > ta ? (b - a) / (Double(tb - ta) * 1e-6) : 0
        }
        let s1 = slope(v.0, t.0, v.1, t.1)
        let s2 = slope(v.1, t.1, v.2, t.2)
        let s3 = n > 3 ? slope(v.2, t.2, v.3, t.3) : s2
        let s4 = n > 4 ? slope(v.3, t.3, v.4, t.4) : s3
        // Median of the successive slopes (two, three or four of them).
        let trendRaw: Double
        switch n {
        case 3: trendRaw = (s1 + s2) / 2
        case 4: trendRaw = Self.median(s1, s2, s3, 0, 0, count: 3)
        default: trendRaw = Self.median4(s1, s2, s3, s4)
        }
        let trend = min(max(trendRaw, -maxRate), maxRate)
        @inline(__always) func carried(_ value: Double, _ at: Int64) -> Double {
            value + trend * Double(time - at) * 1e-6
        }
        let z0 = carried(v.0, t.0)
        let z1 = carried(v.1, t.1)
        let z2 = carried(v.2, t.2)
        let z3 = n > 3 ? carried(v.3, t.3) : 0
        let z4 = n > 4 ? carried(v.4, t.4) : 0
        let center = Self.median(z0, z1, z2, z3, z4, count: n)
        let deviation = Self.median(
            abs(z0 - center), abs(z1 - center), abs(z2 - center), abs(z3 - center), abs(z4 - center), count: n)
        let age = Double(max(time - newest, 0)) * 1e-6
        let scale = max(1.4826 * deviation, floor)
        return abs(y - center) > (maxRate + abs(trend)) * age + k * scale + quantum
    }

    @inline(__always)
    private static func median4(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> Double {
        (max(min(a, b), min(c, d)) + min(max(a, b), max(c, d))) / 2
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
