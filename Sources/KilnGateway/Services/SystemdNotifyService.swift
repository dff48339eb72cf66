import KilnPoller
import Logging
import ServiceLifecycle

/// Tells systemd how the gateway is doing: `READY=1` once the historian is open, the poller
/// threads run and every readiness gate is open (the HTTP server listens), a `STATUS=` line every tick, `WATCHDOG=1` every half `WATCHDOG_USEC` while
/// every poller thread keeps its schedule, and `STOPPING=1` when the shutdown begins.
///
/// The watchdog answers "is polling alive", not "is the service's event loop alive": a poller
/// thread that is stuck (more than a tick past the time it should have turned its loop, see
/// ``Poller/stalledThreads(tolerance:)``) withholds the pings, so systemd kills and restarts
/// the gateway after `WatchdogSec=`. Devices that do not answer are not a hang: their poller
/// times them out on schedule, and their samples say so.
struct SystemdNotifyService: Service {
    let notifier: SystemdNotifier
    let poller: Poller
    let logger: Logger
    /// Opened by the parts that must be ready too (the HTTP server once it listens).
    let gates: [ReadinessGate]
    /// The short status line systemd shows (`systemctl status`).
    let status: @Sendable () -> String

    /// How often the status is sent, and the watchdog pinged: half `WATCHDOG_USEC`, as
    /// `sd_watchdog_enabled(3)` advises; 5 s without a watchdog.
    var tick: Duration { notifier.watchdog.map { $0 / 2 } ?? .seconds(5) }

    func run() async throws {
        // Real time, whatever clock the gateway was given: systemd's watchdog runs on it.
        let clock = ContinuousClock()
        let started: Void? = try? await cancelWhenGracefulShutdown {
            while !poller.isStarted || gates.contains(where: { !$0.isOpen }) {
                try await clock.sleep(for: .milliseconds(20))
            }
        }
        guard started != nil else {
            notifier.send(["STOPPING=1"])
            return
        }
        notifier.send(["READY=1", "STATUS=" + status()])
        logger.info(
            "told systemd the gateway is ready",
            metadata: [
                "kiln.notify_socket": "\(notifier.socketName)",
                "kiln.watchdog": "\(notifier.watchdog.map { "\($0)" } ?? "off")",
            ])
        let tick = self.tick
        try? await cancelWhenGracefulShutdown {
            var wasStalled = false
            while true {
                try await clock.sleep(for: tick)
                let stalled = poller.stalledThreads(tolerance: tick)
                if (stalled > 0) != wasStalled {
                    if stalled > 0 {
                        logger.error(
                            "polling has stopped making progress: watchdog pings withheld",
                            metadata: ["kiln.stalled_threads": "\(stalled)"])
                    } else {
                        logger.notice("polling makes progress again: watchdog pings resume")
                    }
                    wasStalled = stalled > 0
                }
                var lines: [String] = []
                if stalled == 0, notifier.watchdog != nil { lines.append("WATCHDOG=1") }
                let text = status()
                lines.append(
                    "STATUS="
                        + (stalled == 0
                            ? text : "\(text); \(stalled) poller thread\(stalled == 1 ? "" : "s") stalled"))
                notifier.send(lines)
            }
        }
        notifier.send(["STOPPING=1", "STATUS=stopping: polling ends, queues drain"])
    }
}
