import KilnAlarms
import KilnCore

/// The alarm engine as a sink: inline, because its `consume` is a non-blocking hand-off to the
/// engine's bounded queue and its own thread (like the historian's writer), which also wakes by
/// itself for timers and operators' commands when no sample comes. What that queue refuses is
/// this sink's drop count.
public final class AlarmSink: Sink {
    public let name = "alarms"
    public var delivery: SinkDelivery { .inline }
    public let runner: AlarmRunner

    /// - Parameter runner: a started runner; the sink stops it in ``finish()``.
    public init(runner: AlarmRunner) { self.runner = runner }

    /// Rung after each commit that queued hook deliveries.
    public var doorbell: OutboxDoorbell { runner.doorbell }

    public func consume(_ batch: [Sample]) -> Bool { runner.submit(batch) }

    public var backlog: Int { runner.queue.count }

    /// Judges what is queued, commits, and stops the engine's thread.
    public func finish() { runner.stop() }
}
