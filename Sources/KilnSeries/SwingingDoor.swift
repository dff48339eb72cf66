/// The two doors of swinging-door compression: the range of slopes from the last stored point
/// (the anchor) that keeps every point since it within its tolerance.
///
/// A point at `span` after the anchor, `delta` away from the anchor's value and with tolerance
/// `w`, allows the slopes `(delta - w) / span ... (delta + w) / span`; the doors are the
/// intersection over all points since the anchor, so a line from the anchor with a slope inside
/// them passes within tolerance of every one of those points.
struct SwingingDoor: Sendable, Hashable {
    private(set) var lower = -Double.infinity
    private(set) var upper = Double.infinity

    /// Whether a line from the anchor with this slope keeps every point so far within tolerance.
    @inline(__always)
    func admits(_ slope: Double) -> Bool { slope >= lower && slope <= upper }

    /// Takes one more point's allowed slopes into the doors.
    /// - Parameters:
    ///   - delta: the point's value minus the anchor's.
    ///   - tolerance: how far from the line the point may lie.
    ///   - span: microseconds from the anchor to the point (> 0).
    @inline(__always)
    mutating func narrow(delta: Double, tolerance: Double, span: Double) {
        lower = max(lower, (delta - tolerance) / span)
        upper = min(upper, (delta + tolerance) / span)
    }

    /// Opens both doors, for a new anchor.
    mutating func reset() { self = SwingingDoor() }

    /// Microseconds from `a` to `b` as a double, without overflowing for any two times.
    @inline(__always)
    static func span(_ a: Int64, _ b: Int64) -> Double {
        let (difference, overflow) = b.subtractingReportingOverflow(a)
        return overflow ? Double(b) - Double(a) : Double(difference)
    }
}
