import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `GET /api/v1/tags` answered on the connection's event loop with the shared tags document,
/// without the hop to a Swift task and back that every other route takes: at 10,000 tags that
/// hop, not the document, was most of the server's work per request (tools/bench/http.sh, perf).
///
/// It takes a request only when all of this holds, and hands anything else on to Hummingbird
/// unchanged: nothing else is in flight on the connection (so responses stay in order), the
/// method is GET and the path exactly `/api/v1/tags`, the client keeps the connection, the
/// bearer token is one of the configured ones, and a document is kept (the first request, a
/// refused token, a bad header: Hummingbird answers, logs and counts them as for any route).
///
/// It also closes a connection idle for `idleTimeout` (Hummingbird's own timer does not see the
/// requests answered here).
final class TagsFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The response to a request, or nil to hand it on.
    typealias Answer = @Sendable (HTTPRequest) -> (HTTPResponse, ByteBuffer)?

    private let answer: Answer
    /// Requests handed on whose response has not ended.
    private var inFlight = 0
    /// After answering a request's head here: its body and end are dropped.
    private var swallowing = false

    init(answer: @escaping Answer) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if inFlight == 0, !swallowing, let (response, body) = answer(head) {
                swallowing = true
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                context.write(wrapOutboundOut(.body(body)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                return
            }
            inFlight += 1
            context.fireChannelRead(data)
        case .body:
            if !swallowing { context.fireChannelRead(data) }
        case .end:
            if swallowing {
                swallowing = false
            } else {
                context.fireChannelRead(data)
            }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { inFlight = max(0, inFlight - 1) }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if inFlight == 0 { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The handlers to add after Hummingbird's HTTP codec: bodies in bounded writes, the idle
    /// timer, then the fast path.
    static func handlers(idleTimeout: TimeAmount, answer: @escaping Answer) -> [any RemovableChannelHandler] {
        [BoundedWrites(), IdleStateHandler(allTimeout: idleTimeout), TagsFastPath(answer: answer)]
    }
}

@available(*, unavailable)
extension TagsFastPath: Sendable {}

/// The `Date` header's value (RFC 9110 IMF-fixdate), formatted once a second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    static func now() -> String {
        var seconds = time(nil)
        return cache.withLock { cached in
            if cached.second == seconds { return cached.text }
            var parts = tm()
            gmtime_r(&seconds, &parts)
            var buffer = [CChar](repeating: 0, count: 64)
            // strftime's %a and %b are the C locale's English names: Kiln never sets a locale.
            let n = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
            let text = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            cached = (seconds, text)
            return text
        }
    }
}
