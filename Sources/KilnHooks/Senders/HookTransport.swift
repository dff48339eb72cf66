import KilnAlarms
import KilnCore

/// What one delivery attempt came to.
public enum DeliveryOutcome: Sendable, Hashable {
    /// The receiver took it (a 2xx, or an exec's exit 0); `answer` is what it said, for `kiln hooks test`.
    case delivered(answer: String)
    /// Try again later: after `retryAfter` when the receiver said so (`Retry-After`), else after back-off.
    case retry(error: String, retryAfter: Duration?)
    /// 410 Gone: the receiver wants no more; the hook is disabled.
    case gone(error: String)
}

/// Delivers one outbox row to one hook's receiver. The four kinds implement it; tests may too.
public protocol HookTransport: Sendable {
    /// One attempt, bounded by the hook's timeout.
    ///
    /// - Parameters:
    ///   - row: the outbox row (its body is the event JSON).
    ///   - now: the attempt's time, µs since the epoch.
    func deliver(_ row: OutboxRow, now: Int64) async -> DeliveryOutcome
}

extension Duration {
    /// Whole microseconds.
    var micros: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}

/// What a sender may add around deliveries: Alertmanager keeps its firing alerts and re-sends them.
public protocol HookResending: HookTransport {
    /// How often firing alerts are re-sent.
    var resendInterval: Duration { get }
    /// After `row` was delivered: keep or drop its alert in the persisted firing set.
    func delivered(_ row: OutboxRow, store: OutboxStore) throws
    /// Re-sends every firing alert; nil when none fire.
    func resend(store: OutboxStore, now: Int64) async throws -> DeliveryOutcome?
}
