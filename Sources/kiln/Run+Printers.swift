import KilnCommandLine
import KilnCore
import KilnGateway
import ServiceLifecycle
import Synchronization

/// `kiln run --json`: every sample as a JSON line, on a thread of its own (a terminal or a pipe
/// may block; its queue then drops and counts, the gateway goes on).
final class JSONPrinterSink: Sink {
    let name = "json"
    /// The configuration whose indices the samples carry (a reload changes it).
    private let current: Mutex<GatewayConfig>

    init(config: GatewayConfig) { current = Mutex(config) }

    func reload(_ change: ConfigChange) { current.withLock { $0 = change.new } }

    func consume(_ batch: [Sample]) -> Bool {
        let config = current.withLock { $0 }
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
    let every: Duration
    /// The live state and its configuration (a reload replaces both).
    private let live: Mutex<(state: LiveState?, config: GatewayConfig)>
    private let measured = Mutex<(device: Int, tag: Int, unit: Int)?>(nil)

    init(config: GatewayConfig, every: Duration) {
        live = Mutex((nil, config))
        self.every = every
    }

    func attach(_ state: LiveState, config: GatewayConfig) {
        live.withLock { $0 = (state, config) }
        measured.withLock { $0 = nil }
    }

    func run() async throws {
        let clock = WallClock()
        try? await cancelWhenGracefulShutdown {
            while true {
                try await clock.sleep(for: self.every)
                self.printTable(at: clock.now)
            }
        }
    }

    /// Prints the table from one pass over the live state. Only what changes is kept per row (a
    /// value's text, which fits a small string inline, the status and the interned reason), not
    /// 20,000 rows of cells (that cost a plain `kiln run` tens of megabytes at 1,000 devices), and
    /// the rows go out through a small buffer. Names and units are measured once: formatting the
    /// table was a fifth of a 200-device gateway's CPU (tools/bench/poller.sh) before.
    private func printTable(at now: EpochInstant) {
        let (attached, config) = live.withLock { $0 }
        guard let state = attached else { return }
        var rows: [Row] = []
        rows.reserveCapacity(config.devices.count * 8)
        var widths = [6, 3, 5, 4, 6, 6]  // the header's
        let measured = staticWidths(config)
        widths[0] = measured.device
        widths[1] = measured.tag
        widths[3] = measured.unit
        state.forEach { s in
            let value = s.status.isBad ? "-" : ValueFormat.text(s.value, tag: config.devices[s.device].tags[s.tag])
            widths[2] = max(widths[2], value.utf8.count)
            widths[4] = max(widths[4], s.status.name.utf8.count)
            widths[5] = max(widths[5], s.reason.map(Self.width) ?? 0)
            rows.append(Row(device: s.device, tag: s.tag, value: value, status: s.status, reason: s.reason))
        }
        guard !rows.isEmpty else { return }
        var out = "\(now)\n"
        out.reserveCapacity(70_000)
        var pending = 0  // spaces owed before the next cell: a row never ends in blanks
        func cell(_ text: String, _ c: Int) {
            let pad = max(0, widths[c] - Self.width(text))
            if c > 0 { pending += 2 }
            if c == 2 { pending += pad }  // values are right-aligned
            if !text.isEmpty {
                out += Self.spaces(pending)
                out += text
                pending = 0
            }
            if c != 2 { pending += pad }
        }
        func append(_ a: String, _ b: String, _ v: String, _ u: String, _ st: String, _ r: String) {
            pending = 0
            cell(a, 0)
            cell(b, 1)
            cell(v, 2)
            cell(u, 3)
            cell(st, 4)
            cell(r, 5)
            out += "\n"
            if out.utf8.count >= 64_000 {
                print(out, terminator: "")
                out.removeAll(keepingCapacity: true)
            }
        }
        append("DEVICE", "TAG", "VALUE", "UNIT", "STATUS", "REASON")
        for r in rows {
            let device = config.devices[r.device]
            let tag = device.tags[r.tag]
            append(device.name, tag.name, r.value, tag.unit ?? "", r.status.name, r.reason ?? "")
        }
        print(out)
        flushOutput()
    }

    /// What a row needs beyond the config: one pass reads it, the second prints it.
    private struct Row {
        var device: Int
        var tag: Int
        var value: String
        var status: StatusCode
        var reason: String?
    }

    /// The widest device name, tag name and unit of the config (the header's at least).
    private func staticWidths(_ config: GatewayConfig) -> (device: Int, tag: Int, unit: Int) {
        measured.withLock { cached in
            if let cached { return cached }
            var w = (device: 6, tag: 3, unit: 4)
            for device in config.devices {
                w.device = max(w.device, Self.width(device.name))
                for tag in device.tags {
                    w.tag = max(w.tag, Self.width(tag.name))
                    w.unit = max(w.unit, tag.unit.map(Self.width) ?? 0)
                }
            }
            cached = w
            return w
        }
    }

    /// Columns a text takes on a terminal: a character a Unicode scalar, as `°C` is two.
    private static func width(_ text: String) -> Int {
        text.utf8.allSatisfy { $0 < 0x80 } ? text.utf8.count : text.unicodeScalars.count
    }

    private static let blanks = String(repeating: " ", count: 256)

    private static func spaces(_ n: Int) -> Substring {
        n <= 256 ? blanks.prefix(n) : Substring(String(repeating: " ", count: n))
    }

}
