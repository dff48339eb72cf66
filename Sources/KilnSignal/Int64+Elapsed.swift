extension Int64 {
    /// µs from `earlier` to this time, saturated at Int64's bounds instead of trapping: the
    /// conditioner takes times from traces and devices it does not trust, and two of them can
    /// lie further apart than 2⁶³ µs. Any real gap is far inside the bounds, and a saturated one
    /// still reads as "very long ago" (or, backwards, "not yet").
    @inline(__always)
    func elapsed(since earlier: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(earlier)
        guard overflow else { return difference }
        return earlier > self ? .min : .max
    }

    /// ``elapsed(since:)`` in seconds.
    @inline(__always)
    func seconds(since earlier: Int64) -> Double {
        Double(elapsed(since: earlier)) * 1e-6
    }
}
