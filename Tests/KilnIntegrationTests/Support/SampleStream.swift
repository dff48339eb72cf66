import KilnCore
import KilnPoller

/// Collects what a running `Poller` hands downstream, for tests that wait on conditions.
final class SampleStream {
    let queue: SampleQueue
    /// Every sample drained so far, in arrival order.
    private(set) var samples: [Sample] = []

    init(_ queue: SampleQueue) { self.queue = queue }

    /// Drains whatever is queued, waiting up to `timeout` for the first batch.
    func drain(waitingUpTo timeout: Duration = .zero) {
        for batch in queue.drain(waitingUpTo: timeout) { samples += batch }
    }

    /// Waits for a sample, arriving after this call, that satisfies `predicate`.
    func next(within timeout: Duration, where predicate: (Sample) -> Bool) -> Sample? {
        var seen = samples.count
        let deadline = ContinuousClock.now + timeout
        while true {
            if let found = samples[seen...].first(where: predicate) { return found }
            seen = samples.count
            let left = deadline - ContinuousClock.now
            if left <= .zero { return nil }
            drain(waitingUpTo: min(left, .milliseconds(50)))
        }
    }

    /// Keeps draining for `duration` (for rates, where a window is the measurement).
    func collect(for duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            drain(waitingUpTo: min(deadline - ContinuousClock.now, .milliseconds(50)))
        }
    }
}
