import KilnCore
import KilnSignal
import KilnTraces

/// Trace CSV, as `kiln replay` and `kiln tune` read it, and the conditioning and fit behind
/// them. The bytes are parsed whole and again in two chunks split where the first byte says
/// (the streaming reader must agree with itself); a trace that parses runs through a thermal
/// tag, a quantised thermal tag with range and stuck checks, and a plain tag, and a short one
/// through the step-response fit.
///
/// Invariants, each a trap when broken: row times lie in ``TraceCSV/timeRange`` and increase;
/// a row with a value has its text; a Good conditioned value is finite; a fit's levels, τ and
/// rate are finite. Parse and fit errors are expected and end the run.
public enum FuzzTrace: FuzzTarget {
    public static let name = "trace"

    static let tags: [TagConfig] = [
        SyntheticTrace.tag(tau: 60, maxRate: 0.5, noise: 0.1),
        SyntheticTrace.tag(
            tau: 5, maxRate: 2, noise: 0.05, quantum: 0.1, poll: 0.5, stuck: 20, range: -40...150, sentinels: [3276.7]),
        TagConfig(name: "plain", register: .holding, address: 0, type: .float64),
    ]

    /// Readings the fit takes at most here: enough to reach every branch, few enough that a run
    /// stays in milliseconds.
    static let fitReadings = 64

    public static func run(_ data: UnsafeRawBufferPointer) {
        let bytes = data.bindMemory(to: UInt8.self)
        let whole = TraceCSV.parse(bytes)
        precondition(same(chunked(bytes), whole), "the reader gives another answer when the input comes in two chunks")
        guard case .success(let rows) = whole else { return }
        var previous: Int64?
        for row in rows {
            precondition(TraceCSV.timeRange.contains(row.time), "a row time outside the range")
            if let previous { precondition(row.time > previous, "row times do not increase") }
            previous = row.time
            precondition((row.value == nil) == (row.valueText == nil), "a value without its text")
        }
        for tag in tags {
            var conditioner = TagConditioner(tag: tag)
            for row in rows {
                let result =
                    row.value.map { conditioner.condition(reading: $0, unscaled: tag.unscaled($0), at: row.time) }
                    ?? conditioner.missed(at: row.time)
                if result.status.isGood { precondition(result.value?.isFinite == true, "a Good value not finite") }
                if let projected = result.projected { precondition(projected.isFinite, "a projection not finite") }
            }
        }
        let readings = rows.filter { $0.value?.isFinite ?? false }
        guard let first = readings.first, readings.count <= fitReadings else { return }
        let times = readings.map { Double($0.time - first.time) * 1e-6 }
        guard let fit = try? StepResponseFit(times: times, values: readings.map { $0.value! }) else { return }
        precondition(
            fit.initial.isFinite && fit.final.isFinite && fit.tau.isFinite && fit.maxRate.isFinite
                && fit.noise.isFinite,
            "a fit that is not finite")
        _ = StepResponseFit.format(fit.tauError)
        _ = fit.warnings.map(\.description)
    }

    /// The rows (or the error) when the bytes come in two chunks, split where the first byte says.
    static func chunked(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[TraceCSV.Row], TraceCSV.ParseError> {
        let split = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        var reader = TraceCSV.Reader()
        var rows: [TraceCSV.Row] = []
        do throws(TraceCSV.ParseError) {
            try reader.read(UnsafeBufferPointer(rebasing: bytes[..<split])) { rows.append($0) }
            try reader.read(UnsafeBufferPointer(rebasing: bytes[split...])) { rows.append($0) }
            try reader.finish { rows.append($0) }
        } catch {
            return .failure(error)
        }
        return .success(rows)
    }

    /// Whether two parses agree (NaN values compared by their bits, as NaN is not equal to itself).
    static func same(
        _ a: Result<[TraceCSV.Row], TraceCSV.ParseError>, _ b: Result<[TraceCSV.Row], TraceCSV.ParseError>
    ) -> Bool {
        switch (a, b) {
        case (.failure(let x), .failure(let y)): return x == y
        case (.success(let x), .success(let y)):
            return x.count == y.count
                && zip(x, y).allSatisfy { r, s in
                    r.line == s.line && r.time == s.time && r.timeText == s.timeText && r.valueText == s.valueText
                        && r.value?.bitPattern == s.value?.bitPattern
                }
        default: return false
        }
    }
}
