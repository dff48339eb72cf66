/// How a hook's sender paces itself. The defaults suit a plant; tests shorten them.
public struct DeliverySettings: Sendable, Hashable {
    /// The first retry's delay; each further failure doubles it, up to `backoffCap`.
    public var backoffBase: Duration
    /// The longest wait between two attempts (without Retry-After), so a receiver down for
    /// hours is retried every few minutes and gets everything soon after it returns.
    public var backoffCap: Duration
    /// How often an idle sender looks at the outbox without a ring (rows written by another
    /// process, such as `kiln hooks test`).
    public var idlePoll: Duration
    /// The most rows read at once.
    public var batch: Int
    /// Delivered rows are deleted this long after delivery.
    public var keepDelivered: Duration
    /// Retry-After is honoured up to this long.
    public var retryAfterCap: Duration

    public init(
        backoffBase: Duration = .seconds(1), backoffCap: Duration = .seconds(300), idlePoll: Duration = .seconds(1),
        batch: Int = 256, keepDelivered: Duration = .seconds(3600), retryAfterCap: Duration = .seconds(3600)
    ) {
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
        self.idlePoll = idlePoll
        self.batch = batch
        self.keepDelivered = keepDelivered
        self.retryAfterCap = retryAfterCap
    }

    /// The delay before attempt `attempts + 1` after `attempts` failures: exponential, capped,
    /// with jitter (a uniform draw from the upper half), so many gateways do not retry in step.
    public func backoff(afterFailures attempts: Int) -> Duration {
        let base = Double(backoffBase.micros)
        let capped = min(Double(backoffCap.micros), base * pow2(max(0, attempts - 1)))
        let jittered = capped * Double.random(in: 0.5...1.0)
        return .microseconds(Int64(jittered))
    }

    private func pow2(_ n: Int) -> Double { n >= 60 ? Double(1 << 60) : Double(1 << n) }
}
