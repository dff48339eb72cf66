import ArgumentParser
import KilnCommandLine
import KilnConfig
import KilnCore
import KilnGateway
import KilnHistorian
import KilnPoller
import KilnSignal
import Logging
import Metrics

#if canImport(Glibc)
    import Glibc
#endif

/// `kiln-bench pipeline`: how long a sample takes from its poll timestamp to its arrival at
/// each sink, through the gateway (the conditioning thread woken by the poller's queue) or
/// through the reference (the loop `kiln run` had before issue 11: drain, condition and fan out
/// every 20 ms).
struct PipelineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Latency from a sample's poll timestamp to each sink, p50/p99/max.")

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case gateway
        /// The drain loop with a fixed 20 ms sleep that issue 11 replaced.
        case sleep20ms = "sleep-20ms"
    }

    @Argument(help: "A gateway config (its devices served by `kiln simulate`).")
    var file: String

    @Option(help: "gateway or sleep-20ms.")
    var mode: Mode = .gateway

    @Option(help: "Seconds to measure, after --warmup.")
    var seconds: Int = 10

    @Option(help: "Seconds polled before measuring (connections, first cycles).")
    var warmup: Int = 2

    func run() async throws {
        LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
        let logger = Logger(label: "kiln-bench")
        let config: GatewayConfig
        do {
            config = try ConfigLoader.load(path: file)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        let samplesPerSecond = config.devices.reduce(0.0) { total, device in
            total + device.tags.reduce(0.0) { $0 + 1 / $1.poll.seconds }
        }
        let capacity = Int(samplesPerSecond * Double(seconds + warmup + 5)) + 100_000
        let report: [(String, [Int64])]
        switch mode {
        case .gateway: report = try await gateway(config, capacity: capacity, logger: logger)
        case .sleep20ms: report = try await reference(config, capacity: capacity, logger: logger)
        }
        for (name, latencies) in report { print(Self.line("\(mode.rawValue) \(name)", latencies)) }
        // "At every sink": the slowest sink's arrival, per sample, is the latest of its arrivals;
        // sinks receive samples in the same order, so the i-th latency of each sink is one sample.
        let count = report.map(\.1.count).min() ?? 0
        let every = (0..<count).map { i in report.map { $0.1[i] }.max() ?? 0 }
        print(Self.line("\(mode.rawValue) every-sink", every))
    }

    /// Latencies after the warm-up: those of samples stamped after it.
    static func line(_ name: String, _ latencies: [Int64]) -> String {
        let sorted = latencies.sorted()
        func pct(_ p: Double) -> Int64 {
            sorted.isEmpty ? -1 : sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
        }
        return "\(name) samples \(sorted.count) p50_us \(pct(0.5)) p99_us \(pct(0.99)) max_us \(sorted.last ?? -1)"
    }

    private func gateway(_ config: GatewayConfig, capacity: Int, logger: Logger) async throws -> [(String, [Int64])] {
        let queued = NoOpQueuedSink()
        let builtIn = (config.historian == nil ? 0 : 1) + (Gateway.hasAlarms(config) ? 1 : 0) + 2
        let probe = ArrivalProbe(sinks: builtIn + 1, capacity: capacity, warmupUntil: warmupEnd)
        let gateway = try Gateway(
            config: config, sinks: [queued], options: .init(arrival: probe, shutdownSignals: []), logger: logger)
        let outcome = await gateway.run(for: .seconds(warmup + seconds))
        guard outcome == .stopped else {
            printError("gateway: \(outcome)")
            throw ExitCode(1)
        }
        return gateway.pipeline.sinks.enumerated().map { i, sink in (sink.name, probe.latencies(sink: i)) }
    }

    /// Kiln's loop before issue 11: drain the poller's queue, condition, fan out by hand, sleep 20 ms.
    private func reference(_ config: GatewayConfig, capacity: Int, logger: Logger) async throws -> [(
        String, [Int64]
    )] {
        let index = TagIndex(config)
        var sinks: [any Sink] = []
        if let settings = config.historian {
            let writer = try HistorianWriter(config: config, historian: settings, logger: logger)
            try writer.start()
            sinks.append(HistorianSink(writer: writer))
        }
        sinks.append(LiveState(index: index))
        sinks.append(ConditioningMetricsSink())
        let probe = ArrivalProbe(sinks: sinks.count, capacity: capacity, warmupUntil: warmupEnd)
        let poller = Poller(config: config, logger: logger)
        try poller.start()
        var conditioner = Conditioner(config: config, index: index)
        let end = ContinuousClock.now + .seconds(warmup + seconds)
        while ContinuousClock.now < end {
            for var batch in poller.queue.drain() {
                conditioner.condition(&batch)
                for (i, sink) in sinks.enumerated() {
                    probe.record(sink: i, batch: batch)
                    _ = sink.consume(batch)
                }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        poller.stop()
        for sink in sinks { sink.finish() }
        return sinks.enumerated().map { i, sink in (sink.name, probe.latencies(sink: i)) }
    }

    /// Wall-clock µs when the warm-up ends: samples stamped before are not counted.
    private var warmupEnd: Int64 { WallClock.epochMicroseconds() + Int64(warmup) * 1_000_000 }
}

/// A queued sink that does nothing: measures the hand-off to a sink's own thread.
final class NoOpQueuedSink: Sink {
    let name = "queued"
    func consume(_ batch: [Sample]) -> Bool { true }
}
