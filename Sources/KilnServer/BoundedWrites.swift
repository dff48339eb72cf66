import NIOCore
import NIOHTTPTypes

/// Hands a response body to the kernel at most `limit` bytes per system call.
///
/// Linux without kernel preemption (Debian's and most distributions' default, `PREEMPT_NONE` or
/// voluntary) lets a real-time poll thread that wakes on a CPU inside another thread's system call
/// run only when that call returns. NIO writes a whole body in one `writev`: on loopback, one
/// 2.3 MB `/api/v1/tags` or a 730 KB `/metrics` is a single call that copies and delivers all of
/// it, and held the poll threads for up to a millisecond (poll jitter p99 1,115 us under that
/// load, 4.9x cyclictest's). The same copy in 64 KiB calls kept cyclictest's p99 at 106-113 us
/// against 920-941 us for one call per body (tools/bench/README-http.md).
///
/// A body part longer than `limit` goes out a slice at a time: the next slice is written when
/// the kernel has taken the previous one, and the parts written meanwhile wait, in order, behind
/// it. The slices share the body's storage (no copy).
final class BoundedWrites: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let defaultLimit = 64 * 1024

    let limit: Int
    /// What is left of the body being sliced, and the promise of its writer.
    private var slicing: (rest: ByteBuffer, promise: EventLoopPromise<Void>?)?
    /// Parts written while a body is being sliced, in order.
    private var waiting = CircularBuffer<(part: HTTPResponsePart, promise: EventLoopPromise<Void>?)>()
    /// A flush asked for while slicing, done when the waiting parts are written.
    private var flushWaiting = false

    init(limit: Int = BoundedWrites.defaultLimit) {
        precondition(limit > 0)
        self.limit = limit
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        if slicing != nil {
            waiting.append((part, promise))
        } else {
            pass(part, promise: promise, context: context)
        }
    }

    func flush(context: ChannelHandlerContext) {
        if slicing != nil {
            flushWaiting = true
        } else {
            context.flush()
        }
    }

    /// Writes `part` on, slicing it if it is a long body.
    private func pass(_ part: HTTPResponsePart, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        if case .body(let body) = part, body.readableBytes > limit {
            slicing = (body, promise)
            writeSlice(context: context)
        } else {
            context.write(wrapOutboundOut(part), promise: promise)
        }
    }

    /// Writes and flushes the next slice; after the last, the parts that waited.
    private func writeSlice(context: ChannelHandlerContext) {
        guard let (body, promise) = slicing else { return }
        var rest = body
        let slice = rest.readSlice(length: min(limit, rest.readableBytes))!
        if rest.readableBytes > 0 {
            slicing = (rest, promise)
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.assumeIsolated().whenComplete { result in
                switch result {
                case .success:
                    self.writeSlice(context: context)
                case .failure(let error):
                    // The channel is failing: the rest of the body is dropped with its writer
                    // told; the parts that waited go on to fail (or not) as the channel decides.
                    self.slicing = nil
                    promise?.fail(error)
                    self.drain(context: context)
                }
            }
            context.write(wrapOutboundOut(.body(slice)), promise: written)
            context.flush()
        } else {
            slicing = nil
            context.write(wrapOutboundOut(.body(slice)), promise: promise)
            context.flush()
            drain(context: context)
        }
    }

    /// Writes on the parts that waited, until one is a long body to slice in turn.
    private func drain(context: ChannelHandlerContext) {
        while slicing == nil, let next = waiting.popFirst() {
            pass(next.part, promise: next.promise, context: context)
        }
        if slicing == nil, flushWaiting {
            flushWaiting = false
            context.flush()
        }
    }
}

@available(*, unavailable)
extension BoundedWrites: Sendable {}
