import Foundation
import KilnAlarms
import KilnCore
import Logging
import Testing

let quietLogger = Logger(label: "kiln.alarms.tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A start time for the injected clock (µs).
let t0: Int64 = 1_780_000_000_000_000

func seconds(_ s: Double) -> Int64 { Int64(s * 1_000_000) }

/// A gateway config with one device `boiler-1` (port `port`) whose tags are given.
func gateway(
    _ tags: [TagConfig], devices extra: [DeviceConfig] = [], historian: String? = nil,
    settings: AlarmSettings = AlarmSettings(),
    hooks: [HookConfig] = [], port: Int = 1
) -> GatewayConfig {
    GatewayConfig(
        path: "/tmp/kiln-alarms-test.yaml", historian: historian.map { HistorianConfig(path: $0) }, alarms: settings,
        hooks: hooks, devices: [DeviceConfig(name: "boiler-1", host: "127.0.0.1", port: port, tags: tags)] + extra)
}

/// A float tag with a range (so it has a sensor alarm) and the given alarms.
func temp(
    _ name: String = "supply_temp", address: Int = 0, alarms: [AlarmDefinition] = [], thermal: ThermalConfig? = nil,
    poll: Duration = .milliseconds(100)
) -> TagConfig {
    TagConfig(
        name: name, register: .holding, address: address, type: .float32, poll: poll,
        conditioning: ConditioningConfig(range: -50...500, thermal: thermal), alarms: alarms)
}

func good(_ value: Double, at time: Int64, tag: Int = 0, device: Int = 0, projected: Double? = nil) -> Sample {
    Sample(
        device: device, tag: tag, value: .double(value), raw: .double(value), status: .good, projected: projected,
        timestamp: time)
}

func badSensor(at time: Int64, tag: Int = 0, device: Int = 0) -> Sample {
    Sample(
        device: device, tag: tag, value: nil, raw: .double(9999), status: .badSensorFailure, reason: "out of range",
        fault: .range, timestamp: time)
}

func commFault(at time: Int64, tag: Int = 0, device: Int = 0) -> Sample {
    Sample(
        device: device, tag: tag, value: nil, raw: nil, status: .badTimeout, reason: "timeout", fault: .comm,
        timestamp: time)
}

func engine(_ config: GatewayConfig, restored: [AlarmRecord] = []) -> AlarmEngine {
    AlarmEngine(config: config, restored: restored, logger: quietLogger, metrics: AlarmMetrics())
}

extension AlarmEngine {
    /// Observes and returns the events.
    func feed(_ samples: [Sample], now: Int64? = nil) -> [AlarmEvent] {
        observe(samples, now: now ?? samples.map(\.timestamp).max() ?? 0)
        return takeOutput().events
    }

    func advance(to now: Int64) -> [AlarmEvent] {
        tick(now: now)
        return takeOutput().events
    }
}

/// `transition alarm` of each event, for compact expectations.
func summary(_ events: [AlarmEvent]) -> [String] { events.map { "\($0.transition.rawValue) \($0.alarm)" } }

extension AlarmEngine {
    /// Applies an operator's command and takes the output (as a commit would).
    func act(_ command: AlarmCommand, now: Int64) throws(AlarmCommandError) -> [AlarmEvent] {
        let events = try apply(command, now: now)
        _ = takeOutput()
        return events
    }
}

/// Waits (sleeping, off the cooperative pool's threads) until `condition` holds or `timeout`
/// passes; returns whether it held. Waiting for an outcome, never asserting how long it took.
func waitUntil(timeout: Duration = .seconds(90), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(5))
    }
}
