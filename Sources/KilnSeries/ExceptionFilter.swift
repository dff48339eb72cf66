/// Decides which of a tag's points the historian stores: exception deviation (PI's ExcDev,
/// `deadband`) and swinging-door compression (PI's CompDev, `compression`), with a maximum
/// interval and a forced write on every status change.
///
/// Offer every point in time order; ``offer(_:)`` returns the points to store now (zero, one or
/// two, oldest first) and ``flush()`` the point still held back, at shutdown.
///
/// **Error bound.** Let `c = compression ?? 0` and `d = deadband ?? 0`. Every offered point that
/// is not stored lies, at its time, within `c + d` of the straight line between the stored points
/// just before and just after it; and within `c` if its value differs from the stored point
/// before it by more than `d`. (Deadband: a change of at most `d` from the last stored value may
/// be dropped even where the line misses it by up to `c + d`; a larger change only where the
/// line passes within `c`.) This holds up to floating-point rounding of the slopes, a few units
/// in the last place of the values.
///
/// The rest is exact:
/// - when a point's status differs from the previous point's, both are stored (the last of the
///   old status, the first of the new);
/// - points whose value is nil or not finite are never interpolated: a run of them with the same
///   status and the same bit pattern is stored at its first and last point, and the points
///   dropped between equal them;
/// - with `maxInterval`, two consecutive stored points are at most `maxInterval` apart, unless no
///   point was offered between them (a gap in the input);
/// - a point whose time does not advance past the previous point's is stored, with the previous.
///
/// With `deadband` and `compression` both nil the filter is lossless: ``offer(_:)`` returns each
/// point at once. Negative settings count as zero.
///
/// **How.** One swinging door (Bristol's algorithm, as PI's compression runs it) from the last
/// stored point, in which each point's tolerance is `c`, widened to `c + d` while the point is
/// within `d` of that stored value. PI runs exception filtering as a separate stage before
/// compression and also passes on the point before each exception; its bound is then only
/// `c + 2d` (a dropped point just inside the deadband on one side, the forwarded point just
/// inside it on the other). Folding the deadband into the door's tolerance stores the same points
/// on steps, plateaus and noise, and makes the bound `c + d`.
public struct ExceptionFilter: Sendable {
    /// Exception deviation, engineering units; nil for none.
    public let deadband: Double?
    /// Swinging-door compression deviation, engineering units; nil for none.
    public let compression: Double?
    /// The longest time between stored points, microseconds; nil for no limit.
    public let maxInterval: Int64?

    private let d: Double
    private let c: Double
    /// The last stored point: the lines start here.
    private var anchor: Point?
    /// The last offered point, not yet stored: the candidate end of the current line.
    private var held: Point?
    private var door = SwingingDoor()

    /// - Parameters:
    ///   - deadband: exception deviation (ExcDev), engineering units; nil for none.
    ///   - compression: swinging-door deviation (CompDev), engineering units; nil for none.
    ///   - maxInterval: the longest time between stored points, microseconds; nil for no limit.
    public init(deadband: Double?, compression: Double?, maxInterval: Int64?) {
        self.deadband = deadband
        self.compression = compression
        self.maxInterval = maxInterval
        d = max(deadband ?? 0, 0)
        c = max(compression ?? 0, 0)
    }

    /// True when every point is stored.
    public var isLossless: Bool { deadband == nil && compression == nil }

    /// The point offered last and not stored yet (``flush()`` would store it), if any.
    public var pending: Point? { held }

    /// Offers the next point.
    /// - Parameter point: the tag's next point, later than the previous one.
    /// - Returns: the points to store now, oldest first.
    public mutating func offer(_ point: Point) -> [Point] {
        var stored: [Point] = []
        offer(point, into: &stored)
        return stored
    }

    /// Offers the next point, appending the points to store now to `stored` (no allocation when
    /// `stored` has room).
    /// - Parameters:
    ///   - point: the tag's next point, later than the previous one.
    ///   - stored: receives the points to store now, oldest first.
    public mutating func offer(_ point: Point, into stored: inout [Point]) {
        guard !isLossless, let anchor else {
            store(point, into: &stored)
            return
        }
        let previous = held ?? anchor
        if point.status != previous.status || !Self.continues(previous, point) || point.time <= previous.time {
            if let held { store(held, into: &stored) }
            store(point, into: &stored)
            return
        }
        if let maxInterval, let held, SwingingDoor.span(anchor.time, point.time) > Double(maxInterval) {
            store(held, into: &stored)
        }
        guard let value = point.value, value.isFinite else {
            // A run of the same nil or non-finite value: hold its latest point.
            held = point
            return
        }
        if held != nil, !door.admits(slope(to: point, value)) { store(held!, into: &stored) }
        let base = self.anchor!.value!
        let tolerance = c + (abs(value - base) <= d ? d : 0)
        door.narrow(delta: value - base, tolerance: tolerance, span: SwingingDoor.span(self.anchor!.time, point.time))
        held = point
    }

    /// Stores the point held back, if any; call it at shutdown so the last line ends.
    /// - Returns: the held point, or nothing.
    public mutating func flush() -> [Point] {
        guard let held else { return [] }
        var stored: [Point] = []
        store(held, into: &stored)
        return stored
    }

    // MARK: - State

    private mutating func store(_ point: Point, into stored: inout [Point]) {
        stored.append(point)
        anchor = point
        held = nil
        door.reset()
    }

    private func slope(to point: Point, _ value: Double) -> Double {
        (value - anchor!.value!) / SwingingDoor.span(anchor!.time, point.time)
    }

    /// Whether `next` can lie on a line from `previous`: both finite numbers, or both the same
    /// nil or non-finite value.
    private static func continues(_ previous: Point, _ next: Point) -> Bool {
        switch (previous.value, next.value) {
        case (nil, nil): return true
        case (let a?, let b?):
            return a.isFinite && b.isFinite || !a.isFinite && !b.isFinite && a.bitPattern == b.bitPattern
        default: return false
        }
    }
}
