import Hummingbird
import KilnCore
import KilnGateway
import Logging
import NIOCore
import Synchronization

/// The routes of the API and what they share: the gateway, the tokens, the tags snapshot.
struct API: Sendable {
    let gateway: Gateway
    let currentTokens: CurrentTokens
    /// The tokens as they are now (a reload may have replaced them).
    var tokens: BearerTokens { currentTokens.current }
    let logger: Logger
    let metrics: @Sendable (inout [UInt8]) -> Void
    private let snapshots: SnapshotBox
    let exposition = ExpositionCache()
    let health: Health

    init(
        gateway: Gateway, tokens: CurrentTokens, logger: Logger, metrics: @escaping @Sendable (inout [UInt8]) -> Void
    ) {
        self.gateway = gateway
        self.currentTokens = tokens
        self.logger = logger
        self.metrics = metrics
        snapshots = SnapshotBox(TagsSnapshot(config: gateway.config, live: gateway.live))
        health = Health(gateway: gateway)
    }

    func addRoutes(to router: Router<APIContext>) {
        let table = RouteTableBox()
        router.add(middleware: JSONErrors(logger: logger, routes: table))
        var routes = Routes(router: router)
        routes.get("/healthz") { _, _ in healthz() }
        routes.get("/readyz") { _, _ in readyz() }
        routes.get("/metrics") { request, context in
            try authorize(request, context)
            return metricsResponse()
        }
        routes.get("/api/v1/status") { request, context in
            try authorize(request, context)
            return status()
        }
        routes.get("/api/v1/tags") { request, context in
            try authorize(request, context)
            return tags(request)
        }
        routes.get("/api/v1/tags/{device}/{tag}/history") { request, context in
            try authorize(request, context)
            return try await history(request, context)
        }
        routes.get("/api/v1/export") { request, context in
            try authorize(request, context)
            return try await export(request)
        }
        routes.get("/api/v1/alarms") { request, context in
            try authorize(request, context)
            return alarms()
        }
        for action in ["ack", "shelve", "unshelve"] {
            routes.post("/api/v1/alarms/{id}/\(action)") { request, context in
                let caller = try authorize(request, context)
                return try await alarmCommand(action, request, context, caller: caller.description)
            }
        }
        routes.get("/api/v1/remediations") { request, context in
            try authorize(request, context)
            return try await remediations()
        }
        for action in ["approve", "reject"] {
            routes.post("/api/v1/remediations/{id}/\(action)") { request, context in
                let caller = try authorize(request, context)
                return try await remediationCommand(action, request, context, caller: caller.description)
            }
        }
        routes.get("/api/v1/openapi.json") { request, context in
            try authorize(request, context)
            return JSONResponse.make(bytes: OpenAPIDocument.bytes)
        }
        routes.get("/") { _, _ in try PageRoutes.response("index.html") }
        routes.get("/assets/{file}") { _, context in try PageRoutes.response(try segment(context, "file")) }
        table.table = routes.table
    }

    /// The tags snapshot of the gateway's live state: a new one when the live state is another
    /// (a reloaded configuration runs a new generation of it).
    var snapshot: TagsSnapshot {
        let live = gateway.live
        return snapshots.current.withLock { current in
            if current.live !== live { current = TagsSnapshot(config: gateway.config, live: live) }
            return current
        }
    }

    /// The caller of a request that offers a configured token (`http:<12 hex>@<peer>`, named
    /// only when a write logs it); else 401 with `WWW-Authenticate: Bearer`.
    @discardableResult
    func authorize(_ request: Request, _ context: APIContext) throws(APIError) -> Caller {
        guard let header = request.headers[.authorization] else {
            throw APIError(.unauthorized, "this route needs an 'Authorization: Bearer <token>' header")
        }
        guard let token = BearerTokens.bearer(header) else {
            throw APIError(.unauthorized, "the Authorization header must be 'Bearer <token>'")
        }
        guard let digest = tokens.digest(offering: token) else {
            logger.warning("refused a request with an unknown token", metadata: ["kiln.peer": "\(context.peer)"])
            throw APIError(.unauthorized, "unknown token")
        }
        return Caller(digest: digest, address: context.remoteAddress)
    }

    /// Who made a request: `http:<12 hex>@<peer>`.
    struct Caller: CustomStringConvertible {
        let digest: [UInt8]
        let address: SocketAddress?
        var description: String { BearerTokens.callerName(digest) + "@" + APIContext.describe(address) }
    }

    /// A path parameter, percent-decoded (an alarm id is one segment: `boiler-1%2Fflue_gas_temp%2Fhigh`).
    func segment(_ context: APIContext, _ name: String) throws(APIError) -> String {
        guard let raw = context.parameters.get(name), let text = PercentDecoding.decode(Substring(raw)), !text.isEmpty
        else {
            throw APIError.badRequest("'\(name)' in the path is not valid percent-encoded UTF-8")
        }
        return text
    }
}

/// The router's routes and their methods.
struct Routes {
    let router: Router<APIContext>
    private var methods: [(path: String, method: HTTPRequest.Method)] = []

    init(router: Router<APIContext>) { self.router = router }

    mutating func get(
        _ path: String, _ handler: @escaping @Sendable (Request, APIContext) async throws -> Response
    ) {
        router.on(RouterPath(path), method: .get, use: handler)
        methods.append((path, .get))
    }

    mutating func post(
        _ path: String, _ handler: @escaping @Sendable (Request, APIContext) async throws -> Response
    ) {
        router.on(RouterPath(path), method: .post, use: handler)
        methods.append((path, .post))
    }

    /// The methods each path takes, for the 405 of a method it does not.
    var table: RouteTable {
        var byPath: [String: [HTTPRequest.Method]] = [:]
        for (path, method) in methods { byPath[path, default: []].append(method) }
        return RouteTable(routes: byPath.map { (RouterPath($0.key), $0.value.map(\.rawValue).joined(separator: ", ")) })
    }
}

/// Which methods a path takes: a path the router knows, asked with another method, is 405 with
/// `Allow` (the router alone would say 404).
struct RouteTable: Sendable {
    var routes: [(path: RouterPath, allowed: String)] = []

    /// The `Allow` value of the route `path` matches, if any.
    func allowed(for path: String) -> String? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.first { route in
            route.path.components.count == segments.count
                && zip(route.path.components, segments).allSatisfy { component, segment in
                    component.description.hasPrefix("{") || component == segment
                }
        }?.allowed
    }
}

/// The table, filled once the routes are added (the middleware comes first).
final class RouteTableBox: @unchecked Sendable {
    // @unchecked: written once while the router is built, before the server runs; read after.
    var table = RouteTable()
}

/// The current tags snapshot.
final class SnapshotBox: Sendable {
    let current: Mutex<TagsSnapshot>
    init(_ snapshot: TagsSnapshot) { current = Mutex(snapshot) }
}
