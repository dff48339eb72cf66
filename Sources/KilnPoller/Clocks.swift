#if canImport(Glibc)
    import Glibc
#endif

/// Time as the poller schedules by: monotonic nanoseconds for deadlines. Sample timestamps are
/// wall time, read from KilnCore's `WallClock` like every other part of Kiln.
public enum Clocks {
    /// CLOCK_MONOTONIC in nanoseconds: never jumps, so deadlines never drift with NTP.
    @inline(__always)
    public static func monotonicNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Sleeps until the absolute monotonic deadline. Returns early (false) when a signal
    /// interrupts the sleep, so a stop request is noticed at once.
    @discardableResult
    public static func sleep(untilMonotonic deadline: Int64) -> Bool {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        return clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == 0
    }
}
