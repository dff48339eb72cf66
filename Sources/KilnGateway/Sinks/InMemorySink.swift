import KilnCore
import Synchronization

/// Keeps every batch it is given, for tests; `.queued` or `.inline` as asked.
public final class InMemorySink: Sink {
    public let name: String
    public let delivery: SinkDelivery
    private let batches = Mutex<[[Sample]]>([])
    private let finished = Atomic<Bool>(false)

    public init(name: String = "memory", delivery: SinkDelivery = .queued(capacity: 100_000)) {
        self.name = name
        self.delivery = delivery
    }

    public func consume(_ batch: [Sample]) -> Bool {
        batches.withLock { $0.append(batch) }
        return true
    }

    public func finish() { finished.store(true, ordering: .relaxed) }

    /// Every sample received, in order.
    public var samples: [Sample] { batches.withLock { $0.flatMap { $0 } } }
    public var batchCount: Int { batches.withLock { $0.count } }
    public var isFinished: Bool { finished.load(ordering: .relaxed) }
}

/// A sink that takes batches and does nothing with them.
public final class NoOpSink: Sink {
    public let name: String
    public var delivery: SinkDelivery { .inline }
    public init(name: String = "noop") { self.name = name }
    public func consume(_ batch: [Sample]) -> Bool { true }
}
