import KilnCore
import KilnSeries

/// Formats export rows straight into an `OutputBuffer`.
///
/// Raw rows: `ts,device,tag,value,raw,status`; aggregate rows:
/// `ts,device,tag,<aggregate>...,status,good_fraction`. `ts` is RFC 3339 UTC with microseconds;
/// `status` is the OPC UA status name (`Good`, `BadTimeout`, or `0x80AB0000` when unnamed);
/// bool tags read `true`/`false`; a missing value is an empty CSV field or JSON `null`.
public final class ExportEncoder {
    public let format: ExportFormat
    public let out: OutputBuffer
    /// nil for raw points.
    public let aggregates: [Aggregate]?

    private var tag: TagDescriptor = TagDescriptor(device: "", tag: "", type: "")
    /// The bytes between the timestamp and the value, for the current tag.
    private var middle: [UInt8] = []
    private var influxPrefix: [UInt8] = []
    private var cachedSecond: Int64 = .min
    private var cachedDay: Int = .min
    private var secondText = [UInt8](repeating: 0, count: 20)
    private var lastStatus: UInt32 = .max
    private var statusText: [UInt8] = []
    private let aggregateKeys: [[UInt8]]

    public init(format: ExportFormat, out: OutputBuffer, aggregates: [Aggregate]? = nil) {
        self.format = format
        self.out = out
        self.aggregates = aggregates
        aggregateKeys = (aggregates ?? []).map { Array(",\"\($0.rawValue)\":".utf8) }
    }

    /// The CSV header line (nothing for the other formats).
    public func header() throws(HistorianError) {
        guard format == .csv else { return }
        if let aggregates {
            try out.text(
                "ts,device,tag," + aggregates.map(\.rawValue).joined(separator: ",") + ",status,good_fraction\r\n")
        } else {
            try out.text("ts,device,tag,value,raw,status\r\n")
        }
    }

    /// The tag the following rows belong to.
    public func begin(_ tag: TagDescriptor) {
        self.tag = tag
        switch format {
        case .csv:
            middle = [44] + ExportEncoder.csvField(tag.device) + [44] + ExportEncoder.csvField(tag.tag) + [44]
        case .jsonl:
            middle =
                Array("\",\"device\":".utf8) + ExportEncoder.jsonString(tag.device) + Array(",\"tag\":".utf8)
                + ExportEncoder.jsonString(tag.tag)
        case .influx:
            influxPrefix =
                ExportEncoder.influxEscape(tag.device, equals: false) + Array(",tag=".utf8)
                + ExportEncoder.influxEscape(tag.tag, equals: true) + [32]
        }
    }

    // MARK: - Raw points

    @inline(__always)
    public func write(_ p: HistoryPoint) throws(HistorianError) {
        var textBytes = 0
        if case .text(let s) = p.value { textBytes += s.utf8.count * 2 }
        if case .text(let s) = p.raw { textBytes += s.utf8.count * 2 }
        try out.reserve(256 + middle.count + influxPrefix.count + textBytes)
        switch format {
        case .csv:
            timestamp(p.time)
            out.bytes(middle)
            let valueStart = out.count
            csvValue(p.value)
            let valueEnd = out.count
            out.byte(44)
            if ExportEncoder.sameBits(p.value, p.raw) {
                out.repeatBytes(from: valueStart, to: valueEnd)
            } else {
                csvValue(p.raw)
            }
            out.byte(44)
            status(p.status)
            out.byte(13)
            out.byte(10)
        case .jsonl:
            out.bytes(ExportEncoder.jsonOpen)
            timestamp(p.time)
            out.bytes(middle)
            out.bytes(ExportEncoder.jsonValueKey)
            let valueStart = out.count
            jsonValue(p.value)
            let valueEnd = out.count
            out.bytes(ExportEncoder.jsonRawKey)
            if ExportEncoder.sameBits(p.value, p.raw) {
                out.repeatBytes(from: valueStart, to: valueEnd)
            } else {
                jsonValue(p.raw)
            }
            out.bytes(ExportEncoder.jsonStatusKey)
            status(p.status)
            out.byte(34)
            out.byte(125)
            out.byte(10)
        case .influx:
            out.bytes(influxPrefix)
            switch p.value {
            case .text(let s):
                out.bytes(ExportEncoder.influxTextKey)
                ExportEncoder.appendEscaped(s, to: out, quoteAndBackslash: true)
                out.byte(34)
                out.byte(44)
            case .some(let v):
                out.bytes(ExportEncoder.influxValueKey)
                number(v.number!, json: false)
                out.byte(44)
            case nil: break
            }
            out.bytes(ExportEncoder.influxStatusKey)
            out.unsigned(UInt64(p.status))
            out.byte(105)
            out.byte(32)
            out.integer(p.time &* 1000)
            out.byte(10)
        }
    }

    // MARK: - Aggregates

    public func write(_ row: AggregateRow) throws(HistorianError) {
        try out.reserve(512 + middle.count + influxPrefix.count + 64 * aggregateKeys.count)
        let aggregates = self.aggregates ?? []
        switch format {
        case .csv:
            timestamp(row.bucket)
            out.bytes(middle)
            for (i, a) in aggregates.enumerated() {
                if i > 0 { out.byte(44) }
                if let v = row.values[a] ?? nil { number(v, json: false) }
            }
            out.byte(44)
            status(row.worstStatus)
            out.byte(44)
            number(row.goodFraction, json: false)
            out.byte(13)
            out.byte(10)
        case .jsonl:
            out.bytes(ExportEncoder.jsonOpen)
            timestamp(row.bucket)
            out.bytes(middle)
            for (i, a) in aggregates.enumerated() {
                out.bytes(aggregateKeys[i])
                if let v = row.values[a] ?? nil { number(v, json: true) } else { out.bytes(ExportEncoder.null) }
            }
            out.bytes(ExportEncoder.jsonStatusKey)
            status(row.worstStatus)
            out.byte(34)
            out.bytes(ExportEncoder.jsonGoodFractionKey)
            number(row.goodFraction, json: true)
            out.byte(125)
            out.byte(10)
        case .influx:
            out.bytes(influxPrefix)
            for a in aggregates {
                guard let v = row.values[a] ?? nil, v.isFinite else { continue }
                out.bytes(Array(a.rawValue.utf8))
                out.byte(61)
                number(v, json: false)
                out.byte(44)
            }
            out.bytes(ExportEncoder.influxStatusKey)
            out.unsigned(UInt64(row.worstStatus))
            out.bytes(Array("i,good_fraction=".utf8))
            number(row.goodFraction, json: false)
            out.byte(32)
            out.integer(row.bucket &* 1000)
            out.byte(10)
        }
    }

    public func finish() throws(HistorianError) {
        try out.flush()
    }

    // MARK: - Fields

    /// `2026-11-25T07:38:30.123456Z`; the date and time of day are formatted once per second.
    @inline(__always)
    func timestamp(_ micros: Int64) {
        let second = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        if second != cachedSecond { formatSecond(second) }
        out.bytes(secondText)
        out.padded(Int(micros - second * 1_000_000), width: 6)
        out.byte(90)
    }

    /// The day's `YYYY-MM-DDT` is computed once a day; the time of day by arithmetic.
    private func formatSecond(_ second: Int64) {
        cachedSecond = second
        let days = Int(second >= 0 ? second / 86_400 : (second - 86_399) / 86_400)
        if days != cachedDay {
            cachedDay = days
            let (y, m, d) = Timestamp.civil(days: days)
            ExportEncoder.digits(y, 4, into: &secondText, at: 0)
            secondText[4] = 45
            ExportEncoder.digits(m, 2, into: &secondText, at: 5)
            secondText[7] = 45
            ExportEncoder.digits(d, 2, into: &secondText, at: 8)
            secondText[10] = 84
            secondText[13] = 58
            secondText[16] = 58
            secondText[19] = 46
        }
        let rest = Int(second - Int64(days) * 86_400)
        ExportEncoder.digits(rest / 3600, 2, into: &secondText, at: 11)
        ExportEncoder.digits(rest / 60 % 60, 2, into: &secondText, at: 14)
        ExportEncoder.digits(rest % 60, 2, into: &secondText, at: 17)
    }

    @inline(__always)
    static func digits(_ v: Int, _ width: Int, into bytes: inout [UInt8], at offset: Int) {
        var x = v
        for i in stride(from: offset + width - 1, through: offset, by: -1) {
            bytes[i] = 48 + UInt8(x % 10)
            x /= 10
        }
    }

    @inline(__always)
    func status(_ code: UInt32) {
        if code != lastStatus {
            lastStatus = code
            statusText = Array(StatusCode(rawValue: code).name.utf8)
        }
        out.bytes(statusText)
    }

    @inline(__always)
    func csvValue(_ v: StoredValue?) { value(v, json: false) }

    @inline(__always)
    func jsonValue(_ v: StoredValue?) { value(v, json: true) }

    /// A stored value as CSV (nothing for null) or JSON (`null`); bools as `true`/`false`.
    @inline(__always)
    func value(_ v: StoredValue?, json: Bool) {
        switch v {
        case nil:
            if json { out.bytes(ExportEncoder.null) }
        case .text(let s):
            out.bytes(json ? ExportEncoder.jsonString(s) : ExportEncoder.csvField(s))
        case .integer(let i):
            if tag.isBool {
                out.bytes(i != 0 ? ExportEncoder.trueText : ExportEncoder.falseText)
            } else {
                out.integer(i)
            }
        case .number(let d):
            if tag.isBool {
                out.bytes(d != 0 ? ExportEncoder.trueText : ExportEncoder.falseText)
            } else {
                number(d, json: json)
            }
        }
    }

    /// The shortest text that reads back as `d`; integral values keep no `.0`. JSON has no NaN
    /// or infinities: they are `null` there.
    @inline(__always)
    func number(_ d: Double, json: Bool) {
        if d.isFinite, d.magnitude < 1e15, d == d.rounded(.towardZero) {
            if d == 0, d.sign == .minus {
                out.byte(45)
                out.byte(48)
            } else {
                out.integer(Int64(d))
            }
            return
        }
        if !d.isFinite {
            if json {
                out.bytes(ExportEncoder.null)
            } else {
                out.bytes(Array((d.isNaN ? "NaN" : d > 0 ? "Infinity" : "-Infinity").utf8))
            }
            return
        }
        var text = d.description
        text.withUTF8 { out.bytes(UnsafeRawBufferPointer($0)) }
    }

    /// Whether raw is the very value (the usual case until conditioning changes it), so that
    /// its text is copied rather than formatted twice.
    @inline(__always)
    static func sameBits(_ a: StoredValue?, _ b: StoredValue?) -> Bool {
        switch (a, b) {
        case (.number(let x)?, .number(let y)?): x.bitPattern == y.bitPattern
        case (.integer(let x)?, .integer(let y)?): x == y
        default: false
        }
    }
}
