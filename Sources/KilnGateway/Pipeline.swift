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

    /// Starts the conditioning thread (once).
    func start() throws(GatewayError) {
        guard
            var conditioner = self.conditioner.withLock({ c in
                defer { c = nil }; return c
            })
        else { return }
        var handle = pthread_t()
        let rc = OSThread.spawn(name: "kiln-condition", handle: &handle) { [self] in
            // A plant that asks for real-time polling gets its samples delivered on the same
            // terms: a busy machine then delays the hand-off as little as it delays the polls.
            if realtime.policy != .other {
                let achieved = Realtime.applyToCurrentThread(realtime)
                logger.info("conditioning thread runs at \(achieved)")
            }
            run(&conditioner)
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

    private func run(_ conditioner: inout Conditioner) {
        var batches: [[Sample]] = []
        while true {
            let closed = input.take(until: .max, into: &batches)
            let woke = Clocks.monotonicNanoseconds()
            var taken = 0
            for i in batches.indices {
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
