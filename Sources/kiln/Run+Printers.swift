import KilnCore
import KilnGateway
import ServiceLifecycle
import Synchronization

/// `kiln run --json`: every sample as a JSON line, on a thread of its own (a terminal or a pipe
/// may block; its queue then drops and counts, the gateway goes on).
final class JSONPrinterSink: Sink {
    let name = "json"
    let config: GatewayConfig

    init(config: GatewayConfig) { self.config = config }

    func consume(_ batch: [Sample]) -> Bool {
        var out = ""
        for s in batch {
            let device = config.devices[s.device]
            out += SampleText.json(s, device: device, tag: device.tags[s.tag]) + "\n"
        }
        print(out, terminator: "")
        flushOutput()
        return true
    }
}

/// `kiln run`'s live table: every `every`, the latest value of every tag, read from the live
/// state (which it never holds up for more than one stripe's copy).
final class LiveTablePrinter: Service, Sendable {
    let config: GatewayConfig
    let every: Duration
    private let live = Mutex<LiveState?>(nil)

    init(config: GatewayConfig, every: Duration) {
        self.config = config
        self.every = every
    }

    func attach(_ state: LiveState) { live.withLock { $0 = state } }

    func run() async throws {
        let clock = WallClock()
        try? await cancelWhenGracefulShutdown {
            while true {
                try await clock.sleep(for: self.every)
                self.printTable(at: clock.now)
            }
        }
    }

    private func printTable(at now: EpochInstant) {
        guard let state = live.withLock({ $0 }) else { return }
        var rows: [(DeviceConfig, TagConfig, Sample)] = []
        state.forEach { s in
            let device = config.devices[s.device]
            rows.append((device, device.tags[s.tag], s))
        }
        guard !rows.isEmpty else { return }
        print("\(now)\n" + SampleText.table(rows))
        flushOutput()
    }
}
