import Hummingbird
import NIOCore

/// The request context of Kiln's routes: Hummingbird's core storage and the peer's address,
/// which the log of every write names.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    /// `127.0.0.1:50312`, or `unknown` (made when asked: only writes and refusals name it).
    public var peer: String { APIContext.describe(remoteAddress) }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// A request body larger than this is refused (413) when decoded: a shelve's reason is short.
    public var maxUploadSize: Int { 64 * 1024 }

    static func describe(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress else { return "unknown" }
        let port = address.port.map { ":\($0)" } ?? ""
        return ip.utf8.contains(UInt8(ascii: ":")) ? "[\(ip)]\(port)" : "\(ip)\(port)"
    }
}

/// An API error: `{"error": "…"}` with its status (401 adds `WWW-Authenticate: Bearer`).
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        makeResponse()
    }

    func makeResponse() -> Response {
        var json = JSONBytes(capacity: message.utf8.count + 16)
        json.raw("{\"error\":")
        json.string(message)
        json.raw("}")
        var response = JSONResponse.make(json, status: status)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer realm=\"kiln\"" }
        return response
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }
    static func conflict(_ message: String) -> APIError { APIError(.conflict, message) }
}

/// Responses of JSON bytes.
enum JSONResponse {
    static func make(_ json: JSONBytes, status: HTTPResponse.Status = .ok) -> Response {
        make(bytes: json.bytes, status: status)
    }

    static func make(bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        make(buffer: ByteBuffer(bytes: bytes), status: status)
    }

    static func make(buffer: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: fields, body: ResponseBody(byteBuffer: buffer))
    }

    /// The headers of every JSON answer: its type, and not to be cached.
    static var fields: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return headers
    }
}
