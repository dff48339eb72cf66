import Synchronization

/// Wakes the hooks' senders when the engine has committed new outbox rows, so a delivery starts
/// at once instead of at the next poll of the table.
///
/// Rung by the engine after each commit that wrote to the outbox; each sender awaits `wait` with
/// its own timeout (its next retry) and then reads the table. A ring with no waiter is kept: the
/// next `wait` returns at once, so no commit is missed between a read and a wait.
public final class OutboxDoorbell: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: (seen: UInt64, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextWaiter: UInt64 = 0
        /// Waiters whose timeout or cancellation came before they started waiting.
        var early: Set<UInt64> = []
        /// Waiters between `wait`'s start and its end.
        var live: Set<UInt64> = []
    }
    private let state = Mutex(State())

    public init() {}

    /// The count of rings so far; pass it to ``wait(after:timeout:)``.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter.
    public func ring() {
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation &+= 1
            defer { s.waiters.removeAll() }
            return s.waiters.values.map(\.continuation)
        }
        for c in woken { c.resume() }
    }

    /// Returns when the bell rings after `seen` (at once if it already has), or after `timeout`,
    /// or when the task is cancelled.
    public func wait(after seen: UInt64, timeout: Duration) async {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiter &+= 1
            s.live.insert(s.nextWaiter)
            return s.nextWaiter
        }
        let timer = Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self.wake(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.generation != seen || Task.isCancelled || s.early.remove(id) != nil { return true }
                    s.waiters[id] = (seen, c)
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            self.wake(id)
        }
        timer.cancel()
        state.withLock { s in
            s.live.remove(id)
            s.early.remove(id)
        }
    }

    private func wake(_ id: UInt64) {
        let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let waiter = s.waiters.removeValue(forKey: id) { return waiter.continuation }
            if s.live.contains(id) { s.early.insert(id) }
            return nil
        }
        c?.resume()
    }
}
