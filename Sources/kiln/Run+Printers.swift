import KilnCommandLine
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

    /// Prints the table in two passes over the live state (widths, then rows), row by row
    /// through a small buffer: a 20,000-tag table never exists as one string, nor as 20,000 rows
    /// of cells (that cost a plain `kiln run` tens of megabytes at 1,000 devices).
    private func printTable(at now: EpochInstant) {
        guard let state = live.withLock({ $0 }) else { return }
        let header = ["DEVICE", "TAG", "VALUE", "UNIT", "STATUS", "REASON"]
        var widths = header.map(\.count)
        var rows = 0
        state.forEach { s in
            rows += 1
            let cells = cells(s)
            for c in 0..<6 { widths[c] = max(widths[c], cells[c].count) }
        }
        guard rows > 0 else { return }
        var out = "\(now)\n"
        out.reserveCapacity(70_000)
        func append(_ row: [String]) {
            var line = ""
            for (c, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: max(0, widths[c] - cell.count))
                if c > 0 { line += "  " }
                line += c == 2 ? padding + cell : cell + padding
            }
            while line.last == " " { line.removeLast() }
            out += line
            out += "\n"
            if out.utf8.count >= 64_000 {
                print(out, terminator: "")
                out.removeAll(keepingCapacity: true)
            }
        }
        append(header)
        state.forEach { append(cells($0)) }
        print(out)
        flushOutput()
    }

    /// A row of the table, as `SampleText.table` words it.
    private func cells(_ s: Sample) -> [String] {
        let device = config.devices[s.device]
        let tag = device.tags[s.tag]
        return [
            device.name, tag.name, s.status.isBad ? "-" : ValueFormat.text(s.value, tag: tag), tag.unit ?? "",
            s.status.name, s.reason ?? "",
        ]
    }
}
