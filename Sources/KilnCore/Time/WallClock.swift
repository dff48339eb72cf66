#if canImport(Glibc)
    import Glibc
#endif

/// The real clock: CLOCK_REALTIME in microseconds since the Unix epoch, the time every sample
/// timestamp carries. Poll threads read it for timestamps (and keep their deadlines on
/// CLOCK_MONOTONIC); conditioning, the historian writer and the gateway's timers take it as an
/// injected ``EpochClock``.
///
/// Wall time can step (NTP, an operator). Users of its durations guard against a step back
/// (``ManualClock`` tests can step it back too); sleeps are re-computed against the wall after
/// each wake-up.
public struct WallClock: EpochClock {
    public init() {}

    public var now: EpochInstant { EpochInstant(microseconds: WallClock.epochMicroseconds()) }

    public var minimumResolution: Duration { .microseconds(1) }

    /// Sleeps until the wall clock reads `deadline`: in steps of at most a second, so a step of
    /// the wall clock moves the wake-up with it.
    public func sleep(until deadline: EpochInstant, tolerance: Duration? = nil) async throws {
        while true {
            let left = now.duration(to: deadline)
            if left <= .zero { return }
            try await Task.sleep(for: min(left, .seconds(1)), tolerance: tolerance)
        }
    }

    /// CLOCK_REALTIME in microseconds since the Unix epoch, UTC.
    @inline(__always)
    public static func epochMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}
