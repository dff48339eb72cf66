import ArgumentParser
import KilnAlarms
import KilnCommandLine
import KilnConfig
import KilnCore
import KilnGateway
import KilnHooks
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `kiln-bench alarm-latency`: the driver of tools/bench/alarm-latency.sh. Runs a real gateway
/// (the `Gateway` `kiln run` builds, with its default options: historian, alarm engine, hook
/// senders, the config's real-time policy) whose webhook hook posts to a loopback receiver that
/// logs each request's arrival time and the body's `sample_time`; the script computes the
/// sample → webhook latency from that log.
///
/// Two references, side by side in the same run: the same gateway's poll → sink arrival
/// latencies (an ``ArrivalProbe``, one line per sink), and, while the gateway runs, bare signed
/// POSTs from the same HTTP client (`HookHTTPClient.shared`) to the same receiver, each body's
/// `sample_time` stamped just before its request (ids `evt_bare_N`).
struct BenchAlarmLatency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alarm-latency",
        abstract: "Runs a gateway with a webhook hook, and bare POSTs to its receiver (tools/bench/alarm-latency.sh).")

    @Argument(help: "A gateway config with a webhook hook (its devices served by `kiln simulate`).")
    var file: String

    @Option(help: "Seconds to measure, after --warmup.")
    var seconds: Int = 30

    @Option(help: "Seconds run before measuring (connections, first cycles, alarms raised at start).")
    var warmup: Int = 3

    @Option(help: "Milliseconds between the bare POSTs of the reference (0: none).")
    var bareEvery: Int = 20

    @Option(help: "Write the time (µs) of each ring of the outbox doorbell (a commit that queued events) here.")
    var rings: String?

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        let logger = Logger(label: "kiln-bench")
        let config: GatewayConfig
        do {
            config = try ConfigLoader.load(path: file)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        guard let hook = config.hooks.first(where: { $0.kind == .webhook }), let url = hook.url else {
            printError("alarm-latency: \(file) has no webhook hook")
            throw ExitCode(2)
        }
        let key: [UInt8]?
        do {
            key = try hook.secret.map { source throws(HookError) in
                SecretReader.webhookKey(try SecretReader.read(source))
            }
        } catch {
            printError("alarm-latency: hook \(hook.name): \(error)")
            throw ExitCode(1)
        }
        let samplesPerSecond = config.devices.reduce(0.0) { total, device in
            total + device.tags.reduce(0.0) { $0 + 1 / $1.poll.seconds }
        }
        let capacity = Int(samplesPerSecond * Double(seconds + warmup + 5)) + 10_000
        let sinks = (config.historian == nil ? 0 : 1) + (Gateway.hasAlarms(config) ? 1 : 0) + 2
        let from = WallClock.epochMicroseconds() + Int64(warmup) * 1_000_000
        let until = from + Int64(seconds) * 1_000_000
        let probe = ArrivalProbe(sinks: sinks, capacity: capacity, warmupUntil: from)
        let gateway: Gateway
        do {
            gateway = try Gateway(config: config, options: .init(arrival: probe), logger: logger)
        } catch {
            printError("alarm-latency: \(error)")
            throw ExitCode(1)
        }
        let bare = Task { await Self.bare(url: url, key: key, every: bareEvery, from: from, until: until) }
        // The engine's commits as the senders see them: woken by the same doorbell.
        let doorbell = gateway.alarms?.doorbell
        let watch = Task {
            var times: [Int64] = []
            guard let doorbell, rings != nil else { return times }
            while WallClock.epochMicroseconds() < until + 1_000_000 {
                let seen = doorbell.generation
                await doorbell.wait(after: seen, timeout: .milliseconds(200))
                if doorbell.generation != seen { times.append(WallClock.epochMicroseconds()) }
            }
            return times
        }
        let outcome = await gateway.run(for: .seconds(warmup + seconds))
        let (sent, failed) = await bare.value
        let rang = await watch.value
        if let rings {
            guard let f = fopen(rings, "w") else {
                printError("alarm-latency: cannot write \(rings)")
                throw ExitCode(1)
            }
            for t in rang { fputs("\(t)\n", f) }
            fclose(f)
        }
        guard outcome == .stopped else {
            printError("alarm-latency: gateway: \(outcome)")
            throw ExitCode(1)
        }
        print("window_from_us \(from)")
        print("window_until_us \(until)")
        print("bare_posts \(sent) failed \(failed)")
        for (i, sink) in gateway.pipeline.sinks.enumerated() {
            print(PipelineBench.line("reference poll-to-sink \(sink.name)", probe.latencies(sink: i)))
        }
    }

    /// Signed POSTs of an event body, one every `every` ms from `from` to `until` (µs since the
    /// epoch), each with `sample_time` = the moment just before the request.
    static func bare(url: String, key: [UInt8]?, every: Int, from: Int64, until: Int64) async -> (Int, Int) {
        guard every > 0 else { return (0, 0) }
        let sender = WebhookSender(url: url, key: key, timeout: .seconds(10))
        var sent = 0
        var failed = 0
        let wait = from - WallClock.epochMicroseconds()
        if wait > 0 { try? await Task.sleep(for: .microseconds(wait)) }
        while WallClock.epochMicroseconds() < until {
            let now = WallClock.epochMicroseconds()
            let event = AlarmEvent(
                id: "evt_bare_\(sent)", transition: .activated, episode: "bare", alarm: "bench/bare/high",
                name: "high", kind: .process, device: "bench", tag: "bare", severity: .major,
                state: .activeUnacknowledged, value: 60, limit: 50, status: "Good", message: "bench/bare above 50: 60",
                time: now, sampleTime: now, activeSince: now)
            let row = OutboxRow(
                id: Int64(sent), hook: "bare", event: event.id, episode: event.episode, created: now,
                body: event.json(), attempts: 0, nextAttempt: now)
            if case .delivered = await sender.deliver(row, now: now) {} else { failed += 1 }
            sent += 1
            try? await Task.sleep(for: .milliseconds(every))
        }
        return (sent, failed)
    }
}
