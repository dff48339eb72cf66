import Synchronization

/// A clock that moves only when told (``advance(by:)``), for tests of staleness, flushes and
/// timers that run in milliseconds whatever durations they configure.
///
/// Sleepers are resumed, in deadline order, by the ``advance(by:)`` that reaches their
/// deadline; a cancelled sleeper throws `CancellationError` at once.
public final class ManualClock: EpochClock {
    private struct Sleeper {
        var id: Int
        var deadline: EpochInstant
        var continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var now: EpochInstant
        var sleepers: [Sleeper] = []
        var nextID = 0
        var cancelled: Set<Int> = []
    }
    private let state: Mutex<State>

    /// - Parameter start: the first reading; by default 2024-06-10T06:13:20Z.
    public init(start: EpochInstant = EpochInstant(microseconds: 1_718_000_000_000_000)) {
        state = Mutex(State(now: start))
    }

    public var now: EpochInstant { state.withLock { $0.now } }

    public var minimumResolution: Duration { .microseconds(1) }

    /// Sleepers waiting for a later instant.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: EpochInstant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resume: Result<Void, any Error>? = state.withLock { s in
                    if s.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline <= s.now { return .success(()) }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let resume { continuation.resume(with: resume) }
            }
        } onCancel: {
            let sleeper: Sleeper? = state.withLock { s in
                if let i = s.sleepers.firstIndex(where: { $0.id == id }) { return s.sleepers.remove(at: i) }
                s.cancelled.insert(id)
                return nil
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward and resumes every sleeper whose deadline it reaches.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "a ManualClock only moves forward by advance(by:); use set(to:) to step it")
        set(to: now.advanced(by: duration))
    }

    /// Sets the clock to `instant` (earlier or later, as a wall clock may step), resuming the
    /// sleepers it reaches.
    public func set(to instant: EpochInstant) {
        let due: [Sleeper] = state.withLock { s in
            s.now = instant
            let due = s.sleepers.filter { $0.deadline <= instant }.sorted { $0.deadline < $1.deadline }
            s.sleepers.removeAll { $0.deadline <= instant }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}
