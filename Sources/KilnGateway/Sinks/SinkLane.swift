import KilnCore
import Metrics
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One sink as the pipeline sees it: its queue and thread when it is queued, and its counters.
final class SinkLane: Sendable {
    let sink: any Sink
    let index: Int
    /// Nil for an inline sink.
    let queue: SampleQueue?
    private let thread = Mutex<pthread_t?>(nil)
    private let inlineDropped = Atomic<Int>(0)
    private let delivered = Atomic<Int>(0)
    private let finished = Atomic<Bool>(false)
    let metrics: SinkMetrics
    let arrival: ArrivalProbe?

    init(sink: any Sink, index: Int, metrics: SinkMetrics, arrival: ArrivalProbe?) {
        self.sink = sink
        self.index = index
        self.metrics = metrics
        self.arrival = arrival
        switch sink.delivery {
        case .inline: queue = nil
        case .queued(let capacity): queue = SampleQueue(capacity: max(1, capacity))
        }
    }

    /// Samples refused, by a full queue or by the sink.
    var dropped: Int { (queue?.dropped ?? 0) + inlineDropped.load(ordering: .relaxed) }

    /// Samples the sink consumed.
    var consumed: Int { delivered.load(ordering: .relaxed) }

    /// Samples waiting for the sink: its pipeline queue and its own backlog.
    var depth: Int { (queue?.count ?? 0) + sink.backlog }

    /// Hands a batch over from the conditioning thread; never blocks.
    @inline(__always)
    func offer(_ batch: [Sample]) {
        if let queue {
            if !queue.push(batch) { metrics.dropped.increment(by: batch.count) }
        } else {
            deliver(batch)
        }
    }

    /// Gives a batch to the sink, on the conditioning thread (inline) or the lane's own, and
    /// counts what it took or refused.
    @inline(__always)
    private func deliver(_ batch: [Sample]) {
        arrival?.record(sink: index, batch: batch)
        if sink.consume(batch) {
            delivered.add(batch.count, ordering: .relaxed)
            metrics.consumed.increment(by: batch.count)
        } else {
            inlineDropped.add(batch.count, ordering: .relaxed)
            metrics.dropped.increment(by: batch.count)
        }
    }

    /// Takes over the counts of the same sink's lane in the configuration before a reload.
    func carry(from old: SinkLane) {
        delivered.add(old.consumed, ordering: .relaxed)
        inlineDropped.add(old.dropped, ordering: .relaxed)
    }

    /// Whether the sink has finished (its last flush done).
    var isFinished: Bool { finished.load(ordering: .relaxed) }

    func updateDepth() { metrics.depth.record(depth) }

    /// Starts the queued sink's thread (nothing for an inline sink).
    func start() throws(GatewayError) {
        guard let queue else { return }
        var handle = pthread_t()
        let rc = OSThread.spawn(name: "kiln-sink-" + sink.name, handle: &handle) { [self] in
            var batches: [[Sample]] = []
            while true {
                let closed = queue.take(until: .max, into: &batches)
                for batch in batches { deliver(batch) }
                batches.removeAll(keepingCapacity: true)
                if closed { break }
            }
        }
        guard rc == 0 else { throw GatewayError("cannot start the thread of sink '\(sink.name)' (error \(rc))") }
        thread.withLock { $0 = handle }
    }

    /// After the last offer: lets the thread consume what is queued, and ends it; the sink is
    /// not finished (a reload hands it to the next configuration's lane). Blocks.
    func drain() {
        queue?.close()
        if let handle = thread.withLock({ t in
            defer { t = nil }; return t
        }) {
            pthread_join(handle, nil)
        }
        updateDepth()
    }

    /// After the last offer: lets the thread consume what is queued, then finishes the sink.
    /// Blocks; call it off the cooperative pool.
    func drainAndFinish() {
        drain()
        sink.finish()
        finished.store(true, ordering: .relaxed)
        updateDepth()
    }
}
