import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Episode ids: `ep_` + the opening time in µs (hex, so they sort by time) + `_` + the process id
/// and a counter of this process (hex), unique across processes that share the file (the engine
/// and a `kiln alarms` command) and across restarts. Persisted with the alarm, so stable.
enum EpisodeIDs {
    private static let counter = Atomic<UInt64>(0)
    private static let pid = UInt64(UInt32(truncatingIfNeeded: getpid()))

    static func next(now: Int64) -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        return "ep_\(String(UInt64(bitPattern: now), radix: 16))_\(String(pid, radix: 16))_\(String(n, radix: 16))"
    }
}
