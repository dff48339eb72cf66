import Hummingbird
import KilnCore
import KilnGateway
import KilnRemediation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What `/readyz` and `/api/v1/status` judge: polling running, the historian writable.
final class Health: Sendable {
    let gateway: Gateway
    let startedAt = WallClock.epochMicroseconds()
    /// The historian's storage error count when last looked at, and when it last grew.
    private let storage = Mutex<(errors: Int, grew: ContinuousClock.Instant?)>((0, nil))

    init(gateway: Gateway) { self.gateway = gateway }

    /// The poller threads started and none is stuck.
    var pollersRunning: Bool {
        gateway.poller.isStarted && gateway.poller.stalledThreads(tolerance: .seconds(5)) == 0
    }

    /// The historian's file is writable and no commit failed in the last 10 s (true without one).
    var historianWritable: Bool {
        guard let historian = gateway.historian, let path = gateway.config.historian?.path else { return true }
        let errors = historian.statistics.storageErrors
        let now = ContinuousClock.now
        let recent = storage.withLock { s -> Bool in
            if errors > s.errors {
                s.errors = errors
                s.grew = now
            }
            return s.grew.map { now - $0 < .seconds(10) } ?? false
        }
        return !recent && access(path, W_OK) == 0
    }
}

extension API {
    func healthz() -> Response {
        JSONResponse.make(bytes: Array(#"{"status":"ok"}"#.utf8))
    }

    func readyz() -> Response {
        let historian = health.historianWritable
        let pollers = health.pollersRunning
        var json = JSONBytes(capacity: 96)
        json.raw("{\"ready\":")
        json.bool(historian && pollers)
        json.raw(",\"checks\":{\"config\":true,\"historian\":")
        json.bool(historian)
        json.raw(",\"pollers\":")
        json.bool(pollers)
        json.raw("}}")
        return JSONResponse.make(json, status: historian && pollers ? .ok : .serviceUnavailable)
    }

    func metricsResponse() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: exposition.text(metrics)))
    }

    func status() -> Response {
        let now = WallClock.epochMicroseconds()
        let config = gateway.config
        var json = JSONBytes(capacity: 512)
        json.raw("{\"version\":")
        json.string(KilnVersion.text)
        json.raw(",\"started_at\":")
        json.time(micros: health.startedAt)
        json.raw(",\"uptime_s\":")
        json.integer(max(0, (now - health.startedAt) / 1_000_000))
        json.raw(",\"devices\":")
        json.integer(config.devices.count)
        json.raw(",\"tags\":")
        json.integer(gateway.index.count)
        json.raw(",\"pollers\":")
        json.raw(health.pollersRunning ? "\"running\"" : "\"stalled\"")
        json.raw(",\"historian\":")
        if let path = config.historian?.path {
            json.raw("{\"path\":")
            json.string(path)
            json.raw(",\"writable\":")
            json.bool(health.historianWritable)
            json.raw("}")
        } else {
            json.null()
        }
        json.raw(",\"alarms_active\":")
        json.integer(gateway.alarms?.runner.list().lazy.filter(\.active).count ?? 0)
        json.raw(",\"remediations_pending\":")
        json.integer((try? gateway.remediation?.list())?.count(where: { $0.state == .awaitingApproval }) ?? 0)
        json.raw("}")
        return JSONResponse.make(json)
    }
}

extension API {
    /// `GET /api/v1/tags`: the shared snapshot, gzipped for a client that takes gzip.
    func tags(_ request: Request) -> Response {
        let gzip = request.headers[.acceptEncoding].map(API.acceptsGzip) ?? false
        return Response(
            status: .ok, headers: API.tagsFields(gzip: gzip),
            body: ResponseBody(byteBuffer: snapshot.document(gzip: gzip)))
    }

    /// The headers of the tags document, as the route and the fast path send it.
    static func tagsFields(gzip: Bool) -> HTTPFields {
        var fields = JSONResponse.fields
        fields[.vary] = "Accept-Encoding"
        if gzip { fields[.contentEncoding] = "gzip" }
        return fields
    }

    /// `GET /api/v1/tags` as ``TagsFastPath`` answers it on an event loop: nil (Hummingbird's
    /// route answers) for another request, a refused or missing token, a client that closes the
    /// connection, or before a document is kept.
    func fastTags(_ head: HTTPRequest) -> (HTTPResponse, ByteBuffer)? {
        guard head.method == .get, head.path == "/api/v1/tags" else { return nil }
        if let connection = head.headerFields[.connection], connection.lowercased().contains("close") { return nil }
        guard let header = head.headerFields[.authorization], let token = BearerTokens.bearer(header),
            tokens.digest(offering: token) != nil
        else { return nil }
        let gzip = head.headerFields[.acceptEncoding].map(API.acceptsGzip) ?? false
        guard let body = snapshot.kept(gzip: gzip) else { return nil }
        var fields = API.tagsFields(gzip: gzip)
        fields[.contentLength] = String(body.readableBytes)
        fields[.date] = HTTPDate.now()
        return (HTTPResponse(status: .ok, headerFields: fields), body)
    }

    /// Whether an Accept-Encoding value takes gzip (not with `q=0`).
    static func acceptsGzip(_ header: String) -> Bool {
        header.split(separator: ",").contains { part in
            let fields = part.split(separator: ";").map { String($0).trimmingWhitespace().lowercased() }
            guard fields.first == "gzip" || fields.first == "x-gzip" || fields.first == "*" else { return false }
            let q = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return q > 0
        }
    }
}

/// The exposition text, rendered by one request at a time and shared by the others: at 500
/// devices it is 730 KB and takes 6-20 ms to render, and a dashboard's or a load's concurrent
/// scrapes would each render it again. A rendering serves for `maxAge` and for at least nine
/// times its own length (so rendering takes at most a tenth of a CPU at any scrape rate); a
/// request that comes while another renders takes the last one. Rendered into kept bytes.
final class ExpositionCache: Sendable {
    /// Appends the exposition to the bytes given.
    typealias Render = (inout [UInt8]) -> Void

    let maxAge: Duration
    private let clock = ContinuousClock()

    private struct State {
        var kept: ByteBuffer?
        /// Until when the kept one serves.
        var renderAfter: ContinuousClock.Instant
        var rendering = false
        /// The bytes of the last rendering, kept for their capacity.
        var scratch: [UInt8] = []
    }
    private let state: Mutex<State>

    init(maxAge: Duration = .milliseconds(100)) {
        self.maxAge = maxAge
        state = Mutex(State(renderAfter: clock.now))
    }

    func text(_ render: Render) -> ByteBuffer {
        let now = clock.now
        let turn = state.withLock { s -> Turn in
            if let kept = s.kept, now < s.renderAfter || s.rendering { return .kept(kept) }
            s.rendering = true
            var scratch: [UInt8] = []
            swap(&scratch, &s.scratch)
            return .render(scratch)
        }
        var bytes: [UInt8]
        switch turn {
        case .kept(let kept): return kept
        case .render(let scratch): bytes = scratch
        }
        bytes.removeAll(keepingCapacity: true)
        render(&bytes)
        let text = ByteBuffer(bytes: bytes)
        let took = clock.now - now
        state.withLock { s in
            s.kept = text
            s.renderAfter = now + max(maxAge, took * 10)
            s.rendering = false
            s.scratch = bytes
        }
        return text
    }

    /// A request's part: the kept rendering, or a turn to render (with the kept bytes).
    private enum Turn {
        case kept(ByteBuffer)
        case render([UInt8])
    }
}
