import KilnCore
import KilnModbus

/// Counting requests and failures, in the session's statistics and in its metrics at once.
extension DeviceSession {
    /// A request for a block of `kind` is about to leave: counted, and its time kept for its latency.
    @inline(__always)
    func countRequest(_ kind: RegisterKind) {
        stats.requests += 1
        if let metrics {
            requestSentAt = Clocks.monotonicNanoseconds()
            metrics.requestSent(kind)
        }
    }

    /// The request in flight ended at `now` (monotonic): answered, refused, timed out or broken.
    @inline(__always)
    func requestEnded(now: Int64) {
        metrics?.requestEnded(afterNanoseconds: now - requestSentAt)
    }

    /// A request failed (or the connection broke under one), for `error`'s reason.
    @inline(__always)
    func countFailure(_ error: ModbusError) {
        stats.failures += 1
        metrics?.failed(PollFailureKind(error))
    }

    /// A connection attempt failed.
    @inline(__always)
    func countFailedConnect() {
        stats.failedConnects += 1
        metrics?.failed(.connection)
    }
}
