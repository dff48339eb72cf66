import KilnAlarms
import KilnCore
import KilnHistorian
import KilnHooks
import KilnPoller
import KilnRemediation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The running gateway: the poll threads, conditioning, and the sinks (historian, live state,
/// metrics, and any the caller adds), each a `Service` of one `ServiceGroup`.
///
/// SIGTERM and SIGINT (or ``requestShutdown()``, or the end of `run(for:)`'s duration) shut it
/// down in order: polling stops, the pipeline drains the poller's queue into every sink, each
/// sink drains its own queue and finishes, the historian last (its final commit). Past the
/// config's `shutdown_timeout` the gateway gives up and reports what it abandoned.
public final class Gateway: Sendable {
    /// What a test or benchmark may inject; the defaults are what `kiln run` uses.
    public struct Options: Sendable {
        public var clock: any EpochClock
        public var metricsFactory: any MetricsFactory
        /// Records each batch's latency at each sink (benchmarks).
        public var arrival: ArrivalProbe?
        /// Samples the poller's hand-off queue holds.
        public var queueCapacity: Int
        /// How often the clock asks for a staleness sweep; by default the shortest poll period,
        /// kept within 50 ms and 1 s.
        public var staleTick: Duration?
        public var shutdownSignals: [UnixSignal]
        /// The hooks' back-off and polling (tests shorten them).
        public var hookDelivery: DeliverySettings
        /// Runs remediation's commands (`kiln run` passes the OpenSSH transport); required when
        /// the config has a `remediation:` block.
        public var remediationTransport: (any RemoteTransport)?
        /// systemd's notification socket (`kiln run` under `Type=notify`): readiness, status
        /// and the watchdog, by a service in the group.
        public var systemd: SystemdNotifier?
        /// What must be ready, beyond polling, before systemd hears `READY=1` (the HTTP server
        /// opens its gate once it listens).
        public var readiness: [ReadinessGate] = []

        public init(
            clock: any EpochClock = WallClock(), metricsFactory: any MetricsFactory = MetricsSystem.factory,
            arrival: ArrivalProbe? = nil, queueCapacity: Int = 100_000, staleTick: Duration? = nil,
            shutdownSignals: [UnixSignal] = [.sigterm, .sigint], hookDelivery: DeliverySettings = DeliverySettings(),
            remediationTransport: (any RemoteTransport)? = nil
        ) {
            self.remediationTransport = remediationTransport
            self.hookDelivery = hookDelivery
            self.clock = clock
            self.metricsFactory = metricsFactory
            self.arrival = arrival
            self.queueCapacity = queueCapacity
            self.staleTick = staleTick
            self.shutdownSignals = shutdownSignals
        }
    }

    public let config: GatewayConfig
    public let index: TagIndex
    public let poller: Poller
    public let pipeline: Pipeline
    public let live: LiveState
    public let historian: HistorianWriter?
    /// The alarm engine (when the config has a historian, alarms or hooks), nil otherwise.
    public let alarms: AlarmSink?
    /// The hooks' senders (when the config has hooks and a historian, whose file holds the outbox).
    public let hooks: HookDeliveryService?
    /// Remediation (when the config has a `remediation:` block).
    public let remediation: RemediationService?
    private let options: Options
    private let logger: Logger
    private let extraServices: [any Service]
    private let group = Mutex<ServiceGroup?>(nil)
    private let shutdownRequested = Atomic<Bool>(false)

    /// Opens the historian (when the config has one) and builds everything else; nothing runs
    /// until ``run(for:)``.
    ///
    /// - Parameters:
    ///   - sinks: sinks after the built-in ones (historian, live state, metrics), in order.
    ///   - services: services of the caller's (a printer, say), shut down before the gateway's.
    public init(
        config: GatewayConfig, sinks: [any Sink] = [], services: [any Service] = [], options: Options = Options(),
        logger: Logger
    ) throws(GatewayError) {
        self.config = config
        self.options = options
        self.logger = logger
        self.extraServices = services
        let index = TagIndex(config)
        self.index = index
        var builtIn: [any Sink] = []
        if let settings = config.historian {
            do {
                let writer = try HistorianWriter(
                    config: config, historian: settings, logger: logger, metrics: options.metricsFactory,
                    clock: options.clock)
                try writer.start()
                historian = writer
                builtIn.append(HistorianSink(writer: writer))
            } catch {
                throw GatewayError("historian: \(error)")
            }
        } else {
            historian = nil
        }
        if Gateway.hasAlarms(config) {
            do {
                let runner = try AlarmRunner(
                    config: config, clock: options.clock, metricsFactory: options.metricsFactory, logger: logger)
                try runner.start()
                let sink = AlarmSink(runner: runner)
                alarms = sink
                builtIn.append(sink)
            } catch {
                historian?.stop()
                throw GatewayError("alarms: \(error)")
            }
        } else {
            alarms = nil
        }
        if let runner = alarms?.runner, let settings = config.historian, !config.hooks.isEmpty {
            do {
                hooks = try HookDeliveryService(
                    config: config, databasePath: settings.path, doorbell: runner.doorbell, logger: logger,
                    metricsFactory: options.metricsFactory, settings: options.hookDelivery,
                    systemAlarm: { hook, reason in
                        // Not awaited: a sender must not wait on an engine that may be stopping.
                        // The disabled state is in the file; the next start raises the alarm again.
                        Task { await runner.setSystemAlarm("hook/\(hook)", active: reason != nil, reason: reason) }
                    })
            } catch {
                runner.stop()
                historian?.stop()
                throw GatewayError("hooks: \(error)")
            }
        } else {
            hooks = nil
        }
        if let settings = config.remediation {
            do {
                guard let runner = alarms?.runner, let file = config.historian?.path else {
                    throw GatewayError(
                        "remediation needs a historian: its queue and audit log live in the historian's file")
                }
                guard let transport = options.remediationTransport else {
                    throw GatewayError("remediation has no transport to run its commands with")
                }
                let service = try RemediationService(
                    config: settings, path: file, runner: runner, transport: transport, clock: options.clock,
                    metricsFactory: options.metricsFactory, logger: logger)
                remediation = service
                builtIn.append(RemediationSink(service: service, config: config))
            } catch {
                alarms?.runner.stop()
                historian?.stop()
                throw error as? GatewayError ?? GatewayError("remediation: \(error)")
            }
        } else {
            remediation = nil
        }
        live = LiveState(index: index)
        builtIn.append(live)
        builtIn.append(ConditioningMetricsSink(factory: options.metricsFactory))
        poller = Poller(
            config: config, queueCapacity: options.queueCapacity, logger: logger, metrics: options.metricsFactory)
        pipeline = Pipeline(
            config: config, index: index, input: poller.queue, sinks: builtIn + sinks, clock: options.clock,
            metricsFactory: options.metricsFactory, arrival: options.arrival, logger: logger)
    }

    /// Whether a gateway of `config` runs the alarm engine: with a historian (its built-in sensor
    /// and comm alarms then keep their state), any process alarm, or any hook.
    public static func hasAlarms(_ config: GatewayConfig) -> Bool {
        config.historian != nil || !config.hooks.isEmpty
            || config.devices.contains(where: { $0.tags.contains { !$0.alarms.isEmpty } })
    }

    /// The staleness sweep's interval.
    public var staleTick: Duration {
        if let tick = options.staleTick { return tick }
        let shortest = config.devices.lazy.flatMap { $0.tags.map(\.poll) }.min() ?? .seconds(1)
        return min(max(shortest, .milliseconds(50)), .seconds(1))
    }

    /// Runs until SIGTERM or SIGINT, ``requestShutdown()``, or `duration` of the clock; then
    /// shuts down within the config's `shutdown_timeout`.
    public func run(for duration: Duration? = nil) async -> GatewayOutcome {
        let outcome = OutcomeLatch()
        let clock = options.clock
        let timeout = config.shutdownTimeout
        let timers = Mutex<[Task<Void, Never>]>([])
        let watch = ShutdownWatch { [self] in
            logger.info("shutting down", metadata: ["kiln.shutdown_timeout": "\(DurationText.format(timeout))"])
            let bound = Task {
                guard (try? await clock.sleep(for: timeout)) != nil else { return }
                outcome.resolve(.abandoned(self.abandoned()))
            }
            timers.withLock { $0.append(bound) }
        }
        // The hooks' senders first, so they stop last: after the pipeline and the alarm engine
        // have drained, whatever those committed has its delivery attempted.
        var services: [any Service] = hooks.map { [$0] } ?? []
        services += pipeline.lanes.map { SinkService(lane: $0, pipeline: pipeline) }
        services.append(PipelineService(pipeline: pipeline))
        services.append(PollerService(poller: poller, logger: logger))
        services.append(TickerService(pipeline: pipeline, clock: clock, interval: staleTick))
        // Remediation stops first: it raises alarms and escalations until it has stopped, so
        // the alarm engine (stopped with its sink) and the hooks' senders outlive it.
        if let remediation { services.append(remediation) }
        services += extraServices
        if let notifier = options.systemd {
            services.append(
                SystemdNotifyService(
                    notifier: notifier, poller: poller, logger: logger, gates: options.readiness
                ) { [self] in statusLine() })
        }
        services.append(watch)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: options.shutdownSignals, logger: logger))
        self.group.withLock { $0 = group }
        let result = await outcome.wait {
            let main = Task {
                do {
                    try await group.run()
                    outcome.resolve(.stopped)
                } catch {
                    outcome.resolve(.failed("\(error)"))
                }
            }
            _ = main
            if let duration {
                let end = Task {
                    guard (try? await clock.sleep(for: duration)) != nil else { return }
                    await group.triggerGracefulShutdown()
                }
                timers.withLock { $0.append(end) }
            }
            if shutdownRequested.load(ordering: .relaxed) { Task { await group.triggerGracefulShutdown() } }
        }
        for timer in timers.withLock({ $0 }) { timer.cancel() }
        return result
    }

    /// Starts the graceful shutdown, as SIGTERM would.
    public func requestShutdown() async {
        shutdownRequested.store(true, ordering: .relaxed)
        if let group = group.withLock({ $0 }) { await group.triggerGracefulShutdown() }
    }

    /// What the gateway is doing, in a few words (systemd's STATUS=).
    func statusLine() -> String {
        let devices = config.devices.count
        var text =
            "polling \(devices) device\(devices == 1 ? "" : "s"), \(index.count) tag\(index.count == 1 ? "" : "s")"
        if let alarms {
            let active = alarms.runner.list().lazy.filter(\.active).count
            text += ", \(active) alarm\(active == 1 ? "" : "s") active"
        }
        return text
    }

    /// What a shutdown that ran out of time leaves behind, for the log.
    func abandoned() -> [String] {
        var lines: [String] = []
        let queued = poller.queue.count
        if !pipeline.isDone {
            lines.append("conditioning had not drained the poller's queue: \(queued) samples not conditioned")
        }
        for lane in pipeline.lanes where !lane.isFinished {
            let depth = lane.depth
            lines.append(
                depth > 0
                    ? "sink \(lane.sink.name): \(depth) samples not consumed"
                    : "sink \(lane.sink.name): had not finished (its last flush)")
        }
        if lines.isEmpty { lines.append("a service had not stopped (polling threads or a sink's last flush)") }
        return lines
    }
}

/// How a gateway run ended.
public enum GatewayOutcome: Sendable, Equatable {
    /// Every queue drained into every sink, the historian flushed.
    case stopped
    /// The shutdown took longer than `shutdown_timeout`; what was left behind.
    case abandoned([String])
    /// A service failed (polling could not start, say).
    case failed(String)
}

/// The first outcome wins; `wait` returns it.
final class OutcomeLatch: Sendable {
    private struct State {
        var outcome: GatewayOutcome?
        var waiter: CheckedContinuation<GatewayOutcome, Never>?
    }
    private let state = Mutex(State())

    func resolve(_ outcome: GatewayOutcome) {
        let waiter: CheckedContinuation<GatewayOutcome, Never>? = state.withLock { s in
            guard s.outcome == nil else { return nil }
            s.outcome = outcome
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: outcome)
    }

    func wait(starting start: () -> Void) async -> GatewayOutcome {
        await withCheckedContinuation { (c: CheckedContinuation<GatewayOutcome, Never>) in
            let done: GatewayOutcome? = state.withLock { s in
                if let o = s.outcome { return o }
                s.waiter = c
                return nil
            }
            if let done {
                c.resume(returning: done)
            } else {
                start()
            }
        }
    }
}
