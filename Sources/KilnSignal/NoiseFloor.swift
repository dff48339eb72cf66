/// The noise the readings themselves show, for a tag whose `noise` was left out: Hampel's robust scale of the last nine differences between successive readings, taken
/// about their median (so a trend does not count) and divided by √2 (a difference carries two
/// readings' noise). A spike moves two differences and a level shift one, so neither moves the
/// median: the estimate follows the noise, not the faults.
struct NoiseFloor: Sendable {
    static let capacity = 9
    private var differences = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    private var next = 0
    private var count = 0
    private var last = 0.0
    private var hasLast = false
    private var sinceEstimate = 0
    /// The estimate, a standard deviation: each re-estimate from nine differences, averaged
    /// exponentially over the last few (a median of nine alone wanders by a third); 0 until
    /// nine differences are in.
    private(set) var estimate = 0.0

    init() {}

    /// Adds a reading; re-estimates every eighth one.
    mutating func add(_ reading: Double) {
        if hasLast {
            let slot = next
            let difference = reading - last
            withUnsafeMutableBytes(of: &differences) {
                $0.storeBytes(of: difference, toByteOffset: slot * 8, as: Double.self)
            }
            next = next == Self.capacity - 1 ? 0 : next + 1
            count = min(count + 1, Self.capacity)
            sinceEstimate += 1
            if count == Self.capacity, sinceEstimate >= 8 { update() }
        }
        last = reading
        hasLast = true
    }

    /// Forgets the previous reading (a missed poll: the next difference would span two periods).
    mutating func gap() { hasLast = false }

    /// Re-estimates now.
    mutating func update() {
        guard count == Self.capacity else { return }
        sinceEstimate = 0
        var values = differences
        let latest = withUnsafeMutableBytes(of: &values) { raw in
            let v = raw.bindMemory(to: Double.self)
            Self.sort(v)
            let median = v[Self.capacity / 2]
            for i in 0..<Self.capacity { v[i] = abs(v[i] - median) }
            Self.sort(v)
            return 1.4826 * v[Self.capacity / 2] / 2.0.squareRoot()
        }
        estimate = estimate == 0 ? latest : estimate + 0.2 * (latest - estimate)
    }

    private static func sort(_ v: UnsafeMutableBufferPointer<Double>) {
        for i in 1..<v.count {
            let key = v[i]
            var j = i - 1
            while j >= 0, v[j] > key {
                v[j + 1] = v[j]
                j -= 1
            }
            v[j + 1] = key
        }
    }
}
