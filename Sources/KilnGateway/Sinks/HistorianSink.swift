import KilnCore
import KilnHistorian

/// The historian writer as a sink: inline, because the writer's `submit` is itself a
/// non-blocking hand-off to its bounded queue and its own thread; what that queue refuses is
/// this sink's drop count.
public final class HistorianSink: Sink {
    public let name = "historian"
    public var delivery: SinkDelivery { .inline }
    public let writer: HistorianWriter

    /// - Parameter writer: a started writer; the sink stops it (flushing) in ``finish()``.
    public init(writer: HistorianWriter) { self.writer = writer }

    public func consume(_ batch: [Sample]) -> Bool { writer.submit(batch) }

    public var backlog: Int { writer.queued }

    /// Stores everything queued, flushes the filters, commits and closes the run.
    public func finish() { writer.stop() }
}
