import CModbus

#if canImport(Glibc)
    import Glibc
#endif

/// Waiting on many sockets to an exact deadline, for the poller's threads.
///
/// poll() counts in whole milliseconds, so waiting to a deadline with it takes a sleep after it;
/// ppoll() takes nanoseconds and waits to the deadline in one system call. Swift's Glibc module
/// does not import ppoll (a GNU extension), so it comes through the C shim, which lives behind
/// this target's door.
public enum SocketWait {
    /// ppoll() on `fds` until one is ready or until the monotonic deadline (nanoseconds).
    ///
    /// - Returns: ppoll()'s result: the number of ready descriptors, 0 at the deadline, -1 on
    ///   error or when a signal interrupted the wait.
    public static func poll(_ fds: inout [pollfd], untilMonotonic deadline: Int64) -> Int32 {
        let left = max(deadline - ModbusConnection.monotonicNanoseconds(), 0)
        var timeout = timespec(tv_sec: Int(left / 1_000_000_000), tv_nsec: Int(left % 1_000_000_000))
        return fds.withUnsafeMutableBufferPointer { kiln_ppoll($0.baseAddress, nfds_t($0.count), &timeout) }
    }
}
