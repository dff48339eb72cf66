import CoreMetrics
import Foundation
import KilnAlarms
import KilnCore
import KilnHooks
import KilnMetrics
import KilnTestSupport
import Prometheus
import Synchronization
import Testing

/// Keeps every value recorded, by label and dimensions.
final class RecordingFactory: MetricsFactory, Sendable {
    let values = Mutex<[String: Int64]>([:])

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        label + "{" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    final class Handler: CounterHandler, RecorderHandler, TimerHandler, Sendable {
        let key: String
        let factory: RecordingFactory
        let add: Bool
        init(_ key: String, _ factory: RecordingFactory, add: Bool) {
            self.key = key
            self.factory = factory
            self.add = add
        }
        func increment(by amount: Int64) { factory.values.withLock { $0[key, default: 0] += amount } }
        func reset() { factory.values.withLock { $0[key] = 0 } }
        func record(_ value: Int64) {
            factory.values.withLock { $0[key] = add ? ($0[key] ?? 0) + 1 : value }
        }
        func record(_ value: Double) { record(Int64(value)) }
        func recordNanoseconds(_ duration: Int64) { factory.values.withLock { $0[key, default: 0] += 1 } }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Handler(Self.key(label, dimensions), self, add: true)
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Handler(Self.key(label, dimensions), self, add: aggregate)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Handler(Self.key(label, dimensions), self, add: true)
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    subscript(_ label: String, _ dimensions: (String, String)...) -> Int64? {
        values.withLock { $0[Self.key(label, dimensions)] }
    }
}

@Suite struct MetricsTests {
    @Test func deliveriesAttemptsQueueDepthAndLatencyAreRecordedPerHook() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let out = dir.file("events")
        let outbox = try Outbox(hooks: [
            HookConfig(name: "ok", kind: .exec, command: ["/bin/sh", "-c", "cat >> \(out)"]),
            HookConfig(name: "failing", kind: .exec, command: ["/bin/sh", "-c", "cat > /dev/null; exit 1"]),
        ])
        defer { outbox.dir.cleanup() }
        try outbox.enqueue([event(seq: 1), event(seq: 2), event(seq: 3)])
        let factory = RecordingFactory()
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                metricsFactory: factory, settings: quick))
        try await waitUntil("deliveries and failures") {
            factory[HookMetrics.deliveriesName, ("hook", "ok"), ("outcome", "delivered")] == 3
                && factory[HookMetrics.attemptsName, ("hook", "failing"), ("result", "error")] ?? 0 >= 2
                && factory[HookMetrics.queueDepthName, ("hook", "failing")] == 3
        }
        task.cancel()
        await task.value
        #expect(factory[HookMetrics.latencyName, ("hook", "ok")] == 3)
        #expect(factory[HookMetrics.attemptsName, ("hook", "ok"), ("result", "ok")] == 3)
        #expect(factory[HookMetrics.deliveriesName, ("hook", "failing"), ("outcome", "delivered")] ?? 0 == 0)
        #expect(factory[HookMetrics.disabledName, ("hook", "ok")] == 0)
    }
}

@Suite struct PrometheusExpositionTests {
    @Test func theHookMetricsPassPromtoolWithTheirHelpLines() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") else {
            throw Failure("promtool is missing: run tools/setup.sh --tests (Debian prometheus)")
        }
        // The help KilnMetrics repeats is the help KilnHooks gives.
        #expect(KilnMetricsHelp.hooks == HookMetrics.help)
        let registry = PrometheusCollectorRegistry()
        let factory = KilnPrometheusMetricsFactory(registry: registry)
        let outbox = try Outbox(hooks: [
            HookConfig(name: "ok", kind: .exec, command: ["/bin/sh", "-c", "cat > /dev/null"]),
            HookConfig(name: "failing", kind: .exec, command: ["/bin/sh", "-c", "cat > /dev/null; exit 1"]),
        ])
        defer { outbox.dir.cleanup() }
        try outbox.enqueue([event(seq: 1), event(seq: 2)])
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                metricsFactory: factory, settings: quick))
        try await waitUntil("deliveries") {
            try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE hook = 'ok' AND state = 'delivered'") == 2
                && outbox.scalar("SELECT attempts FROM hook_outbox WHERE hook = 'failing' ORDER BY id LIMIT 1") ?? 0
                    >= 1
        }
        task.cancel()
        await task.value
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        for (name, help) in HookMetrics.help {
            #expect(text.contains("# HELP \(name) \(help)"), "\(name) has no help in:\n\(text)")
        }
        #expect(text.contains(#"kiln_hook_deliveries_total{hook="ok",outcome="delivered"} 2"#), "\(text)")
        let dir = TempDir()
        defer { dir.cleanup() }
        let file = try dir.write("metrics.prom", text)
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        check.arguments = ["check", "metrics"]
        check.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
        let out = dir.file("promtool.out")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        check.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        check.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        try check.run()
        while check.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(
            check.terminationStatus == 0,
            "promtool: \((try? String(contentsOfFile: out, encoding: .utf8)) ?? "")\n\(text)")
    }
}
