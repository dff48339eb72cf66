extension TagConditioner {
    /// Whether no poll at all (fresh, missed or failed) came for three poll periods by `time`:
    /// a stalled poller or a dropped batch, which only a sweep by the clock can notice.
    public func isOverdue(at time: Int64) -> Bool {
        guard let rowTime else { return false }
        return time.seconds(since: rowTime) >= Self.stalePeriods * period
    }

    /// Whether a poll period has passed between `earlier` and `time`.
    public func isPeriodOver(since earlier: Int64, at time: Int64) -> Bool {
        time.seconds(since: earlier) >= period
    }

    /// The poll period staleness counts in: the configured one, or the typical (median of the
    /// last three) interval between polls when they come slower than configured.
    var period: Double {
        var typical = 0.0
        if intervals >= 3 {
            let (a, b, c) = (interval0, interval1, interval2)
            typical = Double(max(min(a, b), min(max(a, b), c))) * 1e-6
        }
        return max(checks.poll, typical)
    }

    @inline(__always)
    mutating func noteRow(at time: Int64) {
        if let rowTime, time > rowTime {
            interval2 = interval1
            interval1 = interval0
            interval0 = time.elapsed(since: rowTime)
            if intervals < 3 { intervals += 1 }
        }
        rowTime = time
    }
}
