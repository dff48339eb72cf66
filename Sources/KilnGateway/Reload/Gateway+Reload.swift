import KilnConfig
import KilnCore
import KilnHistorian
import Logging

/// What a configuration reload did.
public enum ReloadOutcome: Sendable, Equatable {
    /// The new configuration runs; what changed (`reloaded: 1 device added, 2 tags changed`).
    case applied(String)
    /// The gateway runs on as before; why, one line each (`FILE:LINE:COLUMN: error: MESSAGE`).
    case refused([String])
}

extension Gateway {
    /// Reads the configuration file again (the one the running configuration came from, and
    /// the device maps it names), checks it as a start would, and applies it.
    ///
    /// Refused, with every problem logged as an error and the gateway running on unchanged, when
    /// the file does not load, a hook's secret, a remediation file or the HTTP token file or TLS
    /// key is unusable, or it changes
    /// a setting that needs a restart (historian, pid_file, realtime, hooks, remediation,
    /// shutdown_timeout). Applied without a gap in the tags that did not change: the new poll
    /// threads start before the old ones stop, the historian's run goes on (no run boundary),
    /// alarms keep their state (acknowledged, shelved, episodes), and the hooks' outboxes and
    /// remediation's queue, in the historian's file, are served on by the same senders.
    @discardableResult
    public func reload() async -> ReloadOutcome {
        if let reason = await reloadGate.begin() {
            logger.warning("configuration reload not started: \(reason)")
            return .refused([reason])
        }
        let outcome = await reloadNow()
        await reloadGate.end()
        return outcome
    }

    /// Calls `observer` after each reload that applied a configuration (the live table of
    /// `kiln run` then shows the new tags).
    public func onReload(_ observer: @escaping @Sendable (Gateway) -> Void) {
        reloadObservers.withLock { $0.append(observer) }
    }

    private func reloadNow() async -> ReloadOutcome {
        let old = generation
        let path = old.config.path
        let next: GatewayConfig
        do {
            next = try ConfigLoader.load(path: path)
        } catch {
            return refuse(error.diagnostics.map(\.description), path: path)
        }
        let problems = HookSecrets.check(next) + RemediationFiles.check(next) + HTTPFiles.check(next)
        if !problems.isEmpty { return refuse(problems.map(\.description), path: path) }
        let restart = ConfigChange.restartNeeded(from: old.config, to: next)
        if !restart.isEmpty {
            let them = restart.count == 1 ? "it" : "them"
            return refuse(
                [
                    "\(path): error: restart needed for \(restart.joined(separator: ", ")): "
                        + "a reload cannot change \(them) while the gateway runs; restart kiln to apply \(them)"
                ], path: path)
        }
        let tags = TagDescriptor.all(in: next)
        var ids: [Int64] = []
        if let settings = next.historian {
            do {
                // On a connection of its own, before anything changes: the writer's is busy.
                ids = try SQLiteStore(path: settings.path).register(tags.flatMap { $0 })
            } catch {
                return refuse(["\(settings.path): error: cannot record the new tags: \(error)"], path: path)
            }
        }
        let change = ConfigChange(from: old.config, to: next)
        let successor = makeGeneration(next)
        // 1. The new poll threads start beside the old ones; their samples wait in their queue.
        do {
            for lane in successor.pipeline.lanes { try lane.start() }
            try successor.poller.start()
        } catch {
            await successor.stopPolling()
            for lane in successor.pipeline.lanes { await OffPool.run { lane.drain() } }
            return refuse(["\(path): error: cannot start polling the new configuration: \(error)"], path: path)
        }
        // 2. The old ones stop; conditioning hands their last samples to the sinks.
        await old.stopPolling()
        await old.drain(finishing: false)
        // 3. The shared sinks take the new tags, after every sample of the old ones.
        if let historian {
            await historian.reconfigure(tags: tags, ids: ids, filters: next.devices.map { $0.tags.map(\.historian) })
        }
        if let alarms { await alarms.runner.reconfigure(next) }
        for sink in callerSinks { sink.reload(change) }
        // 4. The new configuration's conditioning takes over, and what its pollers queued.
        successor.pipeline.adopt(from: old.pipeline, change: change, live: old.live)
        do {
            try successor.pipeline.start()
        } catch {
            replaceGeneration(successor)
            logger.critical(
                "configuration reloaded but conditioning cannot start; shutting down",
                metadata: ["kiln.error": "\(error)"])
            await requestShutdown()
            return .refused(["\(error)"])
        }
        replaceGeneration(successor)
        reloadMetrics.lastSuccess.record(1)
        lastReloadProblem.withLock { $0 = nil }
        var metadata: Logger.Metadata = ["kiln.config": "\(path)"]
        let lists: [(String, [String])] = [
            ("kiln.devices_added", change.devicesAdded), ("kiln.devices_removed", change.devicesRemoved),
            ("kiln.devices_changed", change.devicesChanged), ("kiln.tags_added", change.tagsAdded),
            ("kiln.tags_removed", change.tagsRemoved), ("kiln.tags_changed", change.tagsChanged),
        ]
        for (key, names) in lists where !names.isEmpty { metadata[key] = "\(names.joined(separator: ","))" }
        logger.notice("\(change.summary)", metadata: metadata)
        options.systemd?.send(["STATUS=" + statusLine()])
        for observer in reloadObservers.withLock({ $0 }) { observer(self) }
        return .applied(change.summary)
    }

    /// Logs why a reload was refused, one error per problem, counts it, and says so in
    /// systemd's status; the running configuration is untouched.
    private func refuse(_ lines: [String], path: String) -> ReloadOutcome {
        reloadMetrics.failures.increment()
        reloadMetrics.lastSuccess.record(0)
        logger.error(
            "configuration reload refused; the gateway keeps running on the previous configuration",
            metadata: ["kiln.config": "\(path)", "kiln.problems": "\(lines.count)"])
        for line in lines { logger.error("\(line)") }
        let first = lines.first ?? "invalid configuration"
        lastReloadProblem.withLock { $0 = "reload refused, running the previous configuration: \(first)" }
        options.systemd?.send(["STATUS=" + statusLine()])
        return .refused(lines)
    }
}
