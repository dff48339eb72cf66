import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// What a poller thread achieved when it asked for real-time priority.
public enum AchievedPriority: Sendable, Hashable, CustomStringConvertible {
    case realtime(SchedulingPolicy, Int)
    case nice(Int)
    case normal(reason: String)

    public var description: String {
        switch self {
        case .realtime(let policy, let priority): "SCHED_\(policy.rawValue.uppercased()) priority \(priority)"
        case .nice(let n): "nice \(n)"
        case .normal(let reason): "normal priority (\(reason))"
        }
    }

    /// A number for metrics: the FIFO/RR priority, the negated nice value, or 0.
    public var level: Int {
        switch self {
        case .realtime(_, let p): p
        case .nice(let n): -n
        case .normal: 0
        }
    }
}

/// Applies the gateway's `realtime:` settings.
public enum Realtime {
    /// The nice value tried when SCHED_FIFO/RR is not permitted.
    public static let fallbackNice: Int32 = -10

    /// Raises the calling thread: SCHED_FIFO/RR when permitted (root or CAP_SYS_NICE), else a
    /// negative nice, else nothing. Returns what was achieved.
    public static func applyToCurrentThread(_ config: RealtimeConfig) -> AchievedPriority {
        guard config.policy != .other else { return .normal(reason: "policy other") }
        var param = sched_param()
        param.sched_priority = Int32(config.priority)
        let policy = config.policy == .fifo ? SCHED_FIFO : SCHED_RR
        let rc = pthread_setschedparam(pthread_self(), Int32(policy), &param)
        if rc == 0 { return .realtime(config.policy, config.priority) }
        let why = String(cString: strerror(rc))
        // On Linux the nice value is per thread, and `who = 0` means the calling thread.
        if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, fallbackNice) == 0 {
            return .nice(Int(fallbackNice))
        }
        return .normal(
            reason: "SCHED_\(config.policy.rawValue.uppercased()): \(why); nice: \(String(cString: strerror(errno)))")
    }

    /// mlockall(MCL_CURRENT | MCL_FUTURE): no page fault in the poll loop. Returns nil on success,
    /// else the reason it was refused.
    public static func lockMemory() -> String? {
        if mlockall(Int32(MCL_CURRENT | MCL_FUTURE)) == 0 { return nil }
        return String(cString: strerror(errno))
    }
}
