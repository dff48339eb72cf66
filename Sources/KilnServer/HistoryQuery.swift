import Hummingbird
import KilnCore
import KilnHistorian
import KilnSeries

/// The query of `/history` and `/export`, read as `kiln export` reads its options, and bounded:
/// times within years 1970 to 9999, `from` before `to`.
struct HistoryQuery: Sendable {
    var from: Int64
    var to: Int64
    /// µs; nil: raw points.
    var every: Int64?
    var everyText: String?
    var aggregates: [Aggregate] = []
    var origin: Int64 = 0

    /// The latest time a query may name: 9999-12-31T23:59:59.999999Z.
    static let latest: Int64 = 253_402_300_799_999_999

    /// - Parameters:
    ///   - defaultFrom: `from` when the query has none (nil: it is required).
    ///   - multipleAggregates: `agg` may list several, comma-separated (export).
    init(_ parameters: Parameters, now: Int64, defaultFrom: String?, multipleAggregates: Bool) throws(APIError) {
        guard let fromText = parameters.get("from") ?? defaultFrom else {
            throw APIError.badRequest("'from' is required: RFC 3339 (2026-11-25T07:00:00Z), a date, now, or -1h, -7d")
        }
        from = try HistoryQuery.time("from", fromText, now: now)
        to = try HistoryQuery.time("to", parameters.get("to") ?? "now", now: now)
        guard from < to else {
            throw APIError.badRequest(
                "'from' (\(JSONBytes.timeText(micros: from))) must be before 'to' (\(JSONBytes.timeText(micros: to)))")
        }
        let aggText = parameters.get("agg")
        if let text = parameters.get("every") {
            let trimmed = text.trimmingWhitespace()
            guard let first = trimmed.first, first.isASCII, first.isNumber,
                let micros = TimeExpression.parse("+" + trimmed, now: 0), micros >= 1000
            else {
                throw APIError.badRequest(
                    "'every' must be a duration of at least 1ms (e.g. 1m, 15m, 1h, 1d), not '\(text)'")
            }
            every = micros
            everyText = trimmed
            aggregates = try HistoryQuery.aggregates(aggText ?? "avg", multiple: multipleAggregates)
            if let offset = parameters.get("offset") {
                let t = offset.trimmingWhitespace()
                guard let micros = TimeExpression.parse(t.hasPrefix("-") || t.hasPrefix("+") ? t : "+" + t, now: 0)
                else {
                    throw APIError.badRequest("'offset' must be a duration such as 15m or -1h, not '\(offset)'")
                }
                origin = micros
            }
        } else if aggText != nil {
            throw APIError.badRequest("'agg' needs 'every' (the interval to aggregate over)")
        } else if parameters.get("offset") != nil {
            throw APIError.badRequest("'offset' needs 'every' (it shifts the interval boundaries)")
        }
    }

    /// Intervals the query spans (1 for raw points).
    var intervals: Int64 {
        guard let every else { return 1 }
        return (to - from) / every + 1
    }

    static func time(_ name: String, _ text: String, now: Int64) throws(APIError) -> Int64 {
        guard let t = TimeExpression.parse(text, now: now), t >= 0, t <= latest else {
            throw APIError.badRequest(
                "'\(name)' must be a time from 1970 to 9999: RFC 3339 (2026-11-25T07:00:00Z), a date, now, "
                    + "or relative like -15m, -1h, -7d; not '\(text)'")
        }
        return t
    }

    static func aggregates(_ list: String, multiple: Bool) throws(APIError) -> [Aggregate] {
        var out: [Aggregate] = []
        for name in list.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = String(name).trimmingWhitespace()
            guard let a = Aggregate(rawValue: trimmed) else {
                let known = Aggregate.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError.badRequest("unknown aggregate '\(trimmed)' in 'agg'; use \(known)")
            }
            if !out.contains(a) { out.append(a) }
        }
        guard !out.isEmpty else { throw APIError.badRequest("'agg' names no aggregate") }
        guard multiple || out.count == 1 else { throw APIError.badRequest("'agg' takes one aggregate here") }
        return out
    }
}
