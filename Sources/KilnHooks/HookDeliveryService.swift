import CoreMetrics
import KilnAlarms
import KilnCore
import Logging
import ServiceLifecycle

/// Delivers every hook's outbox, at least once: one task per hook, each with its own SQLite
/// connection to the gateway's file.
///
/// A hook's rows go out in strict id order (so an episode's later event never overtakes an
/// earlier one); a failed row holds back the rows behind it until its retry. Delivered rows are
/// marked in one transaction per batch: a crash before that mark sends them again, with the same
/// `webhook-id`. The service stops on graceful shutdown; an attempt in flight is cancelled and
/// its row stays pending.
public final class HookDeliveryService: Service, Sendable {
    private let workers: [HookWorker]

    /// Raises (a reason) or clears (nil) the gateway's own alarm for a hook that is disabled
    /// (`AlarmRunner.setSystemAlarm("hook/NAME", …)`), returning once it is committed.
    public typealias SystemAlarm = @Sendable (_ hook: String, _ reason: String?) async -> Void

    /// - Parameters:
    ///   - hooks: the gateway's hooks.
    ///   - databasePath: the gateway's SQLite file (the outbox's tables are created if missing).
    ///   - doorbell: rung by the alarm engine after each commit that wrote to the outbox.
    ///   - settings: back-off, polling and batch sizes.
    ///   - now: the wall clock, µs since the epoch (injectable for tests).
    ///   - transports: senders by hook name, replacing the ones the configs would make (tests).
    /// - Throws: `HookError` when a hook's secret cannot be read or its config is incomplete:
    ///   Kiln refuses to start rather than run a hook that cannot deliver.
    public init(
        hooks: [HookConfig], databasePath: String, doorbell: OutboxDoorbell, logger: Logger,
        metricsFactory: (any MetricsFactory)? = nil, settings: DeliverySettings = DeliverySettings(),
        now: @escaping @Sendable () -> Int64 = { WallClock.epochMicroseconds() },
        environment: [String: String] = SecretReader.currentEnvironment(),
        transports: [String: any HookTransport] = [:], systemAlarm: SystemAlarm? = nil
    ) throws(HookError) {
        var workers: [HookWorker] = []
        for hook in hooks {
            if hook.kind == .webhook && hook.secret == nil {
                logger.warning(
                    "hook has no secret: its deliveries are not signed", metadata: ["kiln.hook": "\(hook.name)"])
            }
            let transport: any HookTransport
            if let given = transports[hook.name] {
                transport = given
            } else {
                transport = try HookSenders.make(hook, environment: environment)
            }
            workers.append(
                HookWorker(
                    hook: hook, others: hooks.filter { $0.name != hook.name }, transport: transport,
                    databasePath: databasePath, doorbell: doorbell, logger: logger,
                    metrics: HookMetrics(hook: hook.name, factory: metricsFactory), settings: settings, now: now,
                    systemAlarm: systemAlarm))
        }
        self.workers = workers
    }

    /// The gateway's hooks, delivering from `databasePath`.
    public convenience init(
        config: GatewayConfig, databasePath: String, doorbell: OutboxDoorbell, logger: Logger,
        metricsFactory: (any MetricsFactory)? = nil, settings: DeliverySettings = DeliverySettings(),
        systemAlarm: SystemAlarm? = nil
    ) throws(HookError) {
        try self.init(
            hooks: config.hooks, databasePath: databasePath, doorbell: doorbell, logger: logger,
            metricsFactory: metricsFactory, settings: settings, systemAlarm: systemAlarm)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for worker in self.workers {
                    group.addTask { await worker.run() }
                }
            }
        }
    }
}
