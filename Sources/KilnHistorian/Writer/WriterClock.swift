#if canImport(Glibc)
    import Glibc
#endif

/// Clocks the writer reads: monotonic for its flush deadlines, wall (injectable) for what it
/// records and for retention.
public enum WriterClock {
    /// CLOCK_REALTIME in microseconds since the Unix epoch, UTC.
    @Sendable public static func wallMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    static func monotonicNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
