import Hummingbird
import KilnCore
import KilnHistorian
import KilnSeries

extension API {
    /// The most points one history answer holds: past it, ask for intervals (`every`).
    static let maximumPoints = 100_000

    /// `GET /api/v1/tags/{device}/{tag}/history`: raw points, or one per interval with `every`,
    /// read like `kiln export` on a read-only connection of its own. Time the historian did not
    /// cover comes as points with no value and status BadNoData, never as Good.
    func history(_ request: Request, _ context: APIContext) async throws -> Response {
        let device = try segment(context, "device")
        let tag = try segment(context, "tag")
        guard let deviceConfig = gateway.config.devices.first(where: { $0.name == device }),
            let tagConfig = deviceConfig.tags.first(where: { $0.name == tag })
        else {
            throw APIError.notFound("no tag '\(device)/\(tag)' in this gateway's config")
        }
        guard let path = gateway.config.historian?.path else {
            throw APIError.notFound("this gateway keeps no history (its config has no historian:)")
        }
        let query = try HistoryQuery(
            request.uri.queryParameters, now: WallClock.epochMicroseconds(), defaultFrom: "-1h",
            multipleAggregates: false)
        guard query.intervals <= API.maximumPoints else {
            throw APIError.badRequest(
                "from, to and every make \(query.intervals) intervals; at most \(API.maximumPoints): use a longer 'every'"
            )
        }
        let unit = tagConfig.unit
        let bytes: [UInt8] = try await OffThread.run {
            try API.historyDocument(path: path, device: device, tag: tag, unit: unit, query: query)
        }
        return JSONResponse.make(bytes: bytes)
    }

    static func historyDocument(path: String, device: String, tag: String, unit: String?, query: HistoryQuery) throws
        -> [UInt8]
    {
        var json = JSONBytes(capacity: 4096)
        json.raw("{\"device\":")
        json.string(device)
        json.raw(",\"tag\":")
        json.string(tag)
        json.raw(",\"unit\":")
        json.string(unit)
        json.raw(",\"from\":")
        json.time(micros: query.from)
        json.raw(",\"to\":")
        json.time(micros: query.to)
        json.raw(",\"every\":")
        json.string(query.everyText)
        json.raw(",\"agg\":")
        json.string(query.every == nil ? nil : query.aggregates.first?.rawValue)
        json.raw(",\"points\":[")
        var count = 0
        func point(_ time: Int64, _ value: Double?, _ status: UInt32) {
            if count > 0 { json.raw(",") }
            count += 1
            let code = StatusCode(rawValue: status)
            json.raw("{\"t\":")
            json.time(micros: time)
            json.raw(",\"value\":")
            json.number(value)
            json.raw(",\"status\":")
            json.string(code.name)
            json.raw(",\"quality\":\"")
            json.raw(code.quality.rawValue)
            json.raw("\"}")
        }
        let reader: HistoryReader
        do {
            reader = try HistoryReader(path: path)
        } catch {
            throw APIError(.serviceUnavailable, "the historian cannot be read: \(error)")
        }
        let info = try? reader.tags().first { $0.descriptor.device == device && $0.descriptor.tag == tag }
        if let info {
            let coverage = try reader.coverage()
            if let every = query.every, let aggregate = query.aggregates.first {
                try reader.forEachAggregate(
                    of: info, from: query.from, to: query.to, every: every, origin: query.origin,
                    aggregates: [aggregate], coverage: coverage
                ) { row in
                    point(row.start, row.values[aggregate] ?? nil, row.worstStatus)
                }
            } else {
                // A range that starts where the historian did not cover (before the gateway ever
                // ran, between runs) starts with that: never an empty, good-looking range.
                var first = true
                try reader.forEachPoint(of: info, from: query.from, to: query.to, marking: coverage) { p in
                    if first, p.time > query.from, !coverage.covers(query.from) {
                        point(query.from, nil, Coverage.status)
                    }
                    first = false
                    guard count < maximumPoints else {
                        throw APIError.badRequest(
                            "more than \(maximumPoints) points from 'from' to 'to': give 'every' (e.g. every=1m) "
                                + "or a shorter range")
                    }
                    point(p.time, p.value?.number, p.status)
                }
                if first, !coverage.covers(query.from) { point(query.from, nil, Coverage.status) }
            }
        } else {
            // Nothing stored for the tag yet: the range is not covered.
            point(query.from, nil, Coverage.status)
        }
        json.raw("]}")
        return json.bytes
    }
}
