import KilnCore

/// A consumer of conditioned samples: the historian writer, the live state, metrics, the
/// printers of `kiln run`; alarms, hooks and the API later. The pipeline hands every sink every
/// conditioned batch, in order, and counts what a sink refuses.
public protocol Sink: AnyObject, Sendable {
    /// The sink's name, in metrics (`kiln_sink_dropped_total{sink="historian"}`) and logs.
    var name: String { get }

    /// How the pipeline hands batches over; `.queued` unless the sink says otherwise.
    var delivery: SinkDelivery { get }

    /// Takes one conditioned batch.
    ///
    /// An `.inline` sink is called on the conditioning thread and must return at once (no I/O,
    /// no lock anyone holds for long); a `.queued` sink is called on a thread of its own.
    /// - Returns: false when the sink refused the batch (counted as dropped, per sink).
    func consume(_ batch: [Sample]) -> Bool

    /// Samples the sink has taken but not finished with (its own queue), for
    /// `kiln_sink_queue_depth`. A queued sink's pipeline queue is counted apart.
    var backlog: Int { get }

    /// Called once, after the last batch: store, flush, close. May block.
    func finish()

    /// Called at a configuration reload, after the last batch of the old configuration and
    /// before the first of the new one, whose samples' device and tag indices are those of
    /// `change.new`: a sink that keeps anything by index maps it over (`change.newLocation`).
    /// Must return quickly.
    func reload(_ change: ConfigChange)
}

extension Sink {
    public var delivery: SinkDelivery { .queued(capacity: 100_000) }
    public var backlog: Int { 0 }
    public func finish() {}
    public func reload(_ change: ConfigChange) {}
}

/// How batches reach a sink.
public enum SinkDelivery: Sendable, Hashable {
    /// On the conditioning thread, as each batch is conditioned: for sinks whose `consume` is a
    /// few stores (live state, counters) or a non-blocking hand-off to a queue of their own.
    case inline
    /// Through a bounded queue of `capacity` samples to a thread of the sink's own: for sinks
    /// that may block (a terminal, a network). A batch that does not fit is dropped and counted.
    case queued(capacity: Int)
}
