/// The noise the readings themselves show: Hampel's robust scale of nine differences between
/// successive readings, taken about their median (so a trend does not count) and divided by √2
/// (a difference carries two readings' noise). A spike moves two differences and a level shift
/// one, so neither moves the median: the estimate follows the noise, not the faults. It is the
/// noise floor of a tag whose `noise` was left out, and the check on one whose `noise` is set
/// (see ``TagConditioner/filterVariance``).
struct NoiseFloor: Sendable {
    static let capacity = 9
    /// Weight of each new block of nine in the estimate, once twenty are in: a median of nine
    /// alone wanders by ±45%, the average of the last twenty or so by ±7%.
    static let blockWeight = 0.05
    /// The block being filled: `count` differences so far.
    private var differences = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    private var count = 0
    private var last = 0.0
    private var hasLast = false
    /// Blocks of nine differences estimated so far.
    private(set) var blocks = 0
    /// The estimate, a standard deviation: the plain average of the blocks' estimates while
    /// there are few, then an exponential average; 0 until nine differences are in.
    private(set) var estimate = 0.0

    init() {}

    /// Adds a reading; re-estimates once a block of nine new differences is full.
    ///
    /// - Returns: whether ``estimate`` changed.
    @discardableResult
    mutating func add(_ reading: Double) -> Bool {
        defer {
            last = reading
            hasLast = true
        }
        guard hasLast else { return false }
        let slot = count
        let difference = reading - last
        withUnsafeMutableBytes(of: &differences) {
            $0.storeBytes(of: difference, toByteOffset: slot * 8, as: Double.self)
        }
        count += 1
        guard count == Self.capacity else { return false }
        count = 0
        // Hampel's scale of the block about its median.
        let d = differences
        let median = Self.median(d)
        let spread = Self.median(
            (
                abs(d.0 - median), abs(d.1 - median), abs(d.2 - median), abs(d.3 - median), abs(d.4 - median),
                abs(d.5 - median), abs(d.6 - median), abs(d.7 - median), abs(d.8 - median)
            ))
        let latest = 1.4826 * spread / 2.0.squareRoot()
        blocks += 1
        estimate += (latest - estimate) * max(Self.blockWeight, 1 / Double(blocks))
        return true
    }

    /// Forgets the previous reading (a missed poll: the next difference would span two periods).
    mutating func gap() { hasLast = false }

    /// The median of nine, by a fixed network of 19 compare-exchanges (Paeth's, as in
    /// Devillard's `opt_med9`): no branches, so noise does not cost mispredictions.
    static func median(
        _ v: (Double, Double, Double, Double, Double, Double, Double, Double, Double)
    ) -> Double {
        var (p0, p1, p2, p3, p4, p5, p6, p7, p8) = v
        @inline(__always) func order(_ a: inout Double, _ b: inout Double) {
            let low = min(a, b)
            b = max(a, b)
            a = low
        }
        order(&p1, &p2)
        order(&p4, &p5)
        order(&p7, &p8)
        order(&p0, &p1)
        order(&p3, &p4)
        order(&p6, &p7)
        order(&p1, &p2)
        order(&p4, &p5)
        order(&p7, &p8)
        order(&p0, &p3)
        order(&p5, &p8)
        order(&p4, &p7)
        order(&p3, &p6)
        order(&p1, &p4)
        order(&p2, &p5)
        order(&p4, &p7)
        order(&p4, &p2)
        order(&p6, &p4)
        order(&p4, &p2)
        return p4
    }
}
