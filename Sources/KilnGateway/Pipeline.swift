import KilnCore
import KilnPoller
import KilnSignal
import Logging
import Metrics
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Conditioning and fan-out: takes the poller's batches as they come, conditions them, and
/// hands each conditioned batch to every sink.
///
/// It runs on an OS thread of its own that sleeps in the poller queue's condition variable and
/// wakes when a batch arrives (no polling interval), when ``tick()`` asks for a staleness sweep,
/// or when the queue closes. Poll threads only push to that queue (a short mutex no sink ever
/// holds); a slow sink holds up only its own lane, whose bounded queue drops and counts.
public final class Pipeline: Sendable {
    public let index: TagIndex
    let input: SampleQueue
    let lanes: [SinkLane]
    private let clock: any EpochClock
    private let conditioner: Mutex<Conditioner?>
    /// The conditioner once the thread has ended, for the next configuration to take over.
    private let finishedConditioner = Mutex<Conditioner?>(nil)
    /// Per slot, the time of the last sample of that tag the previous configuration's pipeline
    /// handed over (`Int64.min`: none); empty when there was none. See ``adopt(from:change:live:)``.
    private let watermarks = Mutex<[Int64]>([])
    private let tickPending = Atomic<Bool>(false)
    private let inCount = Atomic<Int>(0)
    private let outCount = Atomic<Int>(0)
    private let staleCount = Atomic<Int>(0)
    private let sweepCount = Atomic<Int>(0)
    private let metrics: PipelineMetrics
    private let completion = Completion()
    private let logger: Logger
    /// The policy of the conditioning thread: the poll threads', one priority below them.
    private let realtime: RealtimeConfig

    /// - Parameters:
    ///   - input: the poller's queue.
    ///   - sinks: the sinks, in the order they start (the first stops last).
    ///   - arrival: records each batch's latency at each sink (benchmarks).
    public init(
        config: GatewayConfig, index: TagIndex, input: SampleQueue, sinks: [any Sink], clock: any EpochClock,
        metricsFactory: any MetricsFactory = MetricsSystem.factory, arrival: ArrivalProbe? = nil,
        logger: Logger
    ) {
        self.index = index
        self.input = input
        self.clock = clock
        self.logger = logger
        var realtime = config.realtime
        realtime.priority = max(1, realtime.priority - 1)
        self.realtime = realtime
        conditioner = Mutex(Conditioner(config: config, index: index))
        metrics = PipelineMetrics(factory: metricsFactory)
        lanes = sinks.enumerated().map { i, sink in
            SinkLane(
                sink: sink, index: i, metrics: SinkMetrics(sink: sink.name, factory: metricsFactory),
                arrival: arrival)
        }
    }

    /// The sinks, in order.
    public var sinks: [any Sink] { lanes.map(\.sink) }

    // MARK: Counters

    /// Samples taken from the poller's queue.
    public var samplesIn: Int { inCount.load(ordering: .relaxed) }
    /// Conditioned samples handed to the sinks: those taken in, and the stale ones the clock found.
    public var samplesOut: Int { outCount.load(ordering: .relaxed) }
    /// Stale samples the clock's sweeps made (no poll came for three periods).
    public var staleSamples: Int { staleCount.load(ordering: .relaxed) }
    /// Staleness sweeps done (one per ``tick()`` that the conditioning thread has seen).
    public var sweeps: Int { sweepCount.load(ordering: .relaxed) }

    /// Per sink, in order: samples dropped, consumed, and waiting.
    public var sinkStatistics: [SinkStatistics] {
        lanes.map { SinkStatistics(name: $0.sink.name, consumed: $0.consumed, dropped: $0.dropped, depth: $0.depth) }
    }

    // MARK: Running

    /// Takes over from the pipeline of the configuration before a reload, whose thread has
    /// ended: the conditioning state of every tag that did not change, and the time of each
    /// tag's last sample. While both configurations' pollers ran, a tag was polled by both:
    /// this pipeline drops its samples up to that time, so that every tag's samples still reach
    /// the sinks once each and in time order. Call before ``start()``.
    func adopt(from old: Pipeline, change: ConfigChange, live: LiveState) {
        if let previous = old.finishedConditioner.withLock({ $0 }) {
            let slots = change.unchangedSlots(oldIndex: old.index)
            conditioner.withLock { $0?.adopt(from: previous, slots: slots) }
        }
        var marks = Array(repeating: Int64.min, count: index.count)
        live.forEach { s in
            guard let to = change.newLocation(device: s.device, tag: s.tag),
                let slot = index.slot(device: to.device, tag: to.tag)
            else { return }
            marks[slot] = s.timestamp
        }
        watermarks.withLock { $0 = marks }
        // The run's counts go on (the summary at exit, the sinks' statistics).
        inCount.add(old.samplesIn, ordering: .relaxed)
        outCount.add(old.samplesOut, ordering: .relaxed)
        staleCount.add(old.staleSamples, ordering: .relaxed)
        sweepCount.add(old.sweeps, ordering: .relaxed)
        for lane in lanes {
            if let previous = old.lanes.first(where: { $0.sink.name == lane.sink.name }) { lane.carry(from: previous) }
        }
    }

    /// Starts the conditioning thread (once).
    func start() throws(GatewayError) {
        guard
            var conditioner = self.conditioner.withLock({ c in
                defer { c = nil }; return c
            })
        else { return }
        let marks = watermarks.withLock { $0 }
        var handle = pthread_t()
        let rc = OSThread.spawn(name: "kiln-condition", handle: &handle) { [self] in
            // A plant that asks for real-time polling gets its samples delivered on the same
            // terms: a busy machine then delays the hand-off as little as it delays the polls.
            if realtime.policy != .other {
                let achieved = Realtime.applyToCurrentThread(realtime)
                logger.info("conditioning thread runs at \(achieved)")
            }
            run(&conditioner, watermarks: marks)
            finishedConditioner.withLock { $0 = conditioner }
            completion.finish()
        }
        guard rc == 0 else {
            completion.finish()
            throw GatewayError("cannot start the conditioning thread (error \(rc))")
        }
        pthread_detach(handle)
    }

    /// Asks the conditioning thread for a staleness sweep at the clock's time (the gateway's
    /// ticker calls it; tests with a `ManualClock` too).
    public func tick() {
        tickPending.store(true, ordering: .relaxed)
        input.wake()
    }

    /// Returns once the poller's queue closed and everything in it reached every sink's lane.
    public func waitUntilDone() async { await completion.wait() }

    public var isDone: Bool { completion.isFinished }

    /// How long the conditioning thread lets batches gather after it woke for one. The poll
    /// threads spread their requests over the period, so at 200 devices x 10 Hz a batch arrives
    /// every 0.5 ms: waking for each cost a fifth of the gateway's CPU (tools/bench/poller.sh,
    /// 0.22x pymodbus's CPU a request). Gathering for 1 ms takes two or three at a wake-up and
    /// adds at most 1 ms from poll to sink (tools/bench/pipeline.sh).
    static let gatherWindow: Int64 = 1_000_000

    /// How long (µs of sample time) past the previous pipeline's last sample this one still
    /// looks for samples of the overlap after a reload.
    static let overlapWindow: Int64 = 10_000_000

    private func run(_ conditioner: inout Conditioner, watermarks: [Int64]) {
        var batches: [[Sample]] = []
        // Until samples come well past the last the previous pipeline handed over.
        var overlapEnds = (watermarks.max() ?? .min).addingReportingOverflow(Self.overlapWindow).partialValue
        if watermarks.isEmpty { overlapEnds = .min }
        while true {
            let closed = input.take(until: .max, into: &batches)
            let woke = Clocks.monotonicNanoseconds()
            var taken = 0
            for i in batches.indices {
                if overlapEnds != .min {
                    batches[i].removeAll { s in
                        guard let slot = index.slot(of: s) else { return false }
                        return s.timestamp <= watermarks[slot]
                    }
                    if batches[i].contains(where: { $0.timestamp > overlapEnds }) { overlapEnds = .min }
                }
                conditioner.condition(&batches[i])
                taken += batches[i].count
                deliver(batches[i])
            }
            batches.removeAll(keepingCapacity: true)
            if taken > 0 {
                inCount.add(taken, ordering: .relaxed)
                metrics.samplesIn.increment(by: taken)
            }
            if tickPending.exchange(false, ordering: .relaxed) {
                let stale = conditioner.staleSamples(at: clock.now.microseconds)
                if !stale.isEmpty {
                    staleCount.add(stale.count, ordering: .relaxed)
                    deliver(stale)
                }
                for lane in lanes { lane.updateDepth() }
                metrics.inputDropped.record(input.dropped)
                sweepCount.add(1, ordering: .relaxed)
            }
            if closed { break }
            if taken > 0 {
                // Let the next batches gather before the next take. A close or a tick that comes
                // meanwhile waits at most this window.
                Clocks.sleep(untilMonotonic: woke + Self.gatherWindow)
            }
        }
        for lane in lanes { lane.updateDepth() }
        metrics.inputDropped.record(input.dropped)
        logger.debug("conditioning stopped", metadata: ["kiln.samples": "\(samplesIn)"])
    }

    @inline(__always)
    private func deliver(_ batch: [Sample]) {
        for lane in lanes { lane.offer(batch) }
        outCount.add(batch.count, ordering: .relaxed)
        metrics.samplesOut.increment(by: batch.count)
    }
}

/// One sink's counters, for the run summary.
public struct SinkStatistics: Sendable, Hashable {
    public var name: String
    public var consumed: Int
    public var dropped: Int
    public var depth: Int
}

/// A one-shot event that async code can await and any thread can fire.
final class Completion: Sendable {
    private struct State {
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func finish() {
        let waiters = state.withLock { s in
            s.finished = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    var isFinished: Bool { state.withLock { $0.finished } }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s in
                if s.finished { return true }
                s.waiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }
}
