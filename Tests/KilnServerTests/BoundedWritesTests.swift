import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import KilnServer

/// ``BoundedWrites``: a long body reaches the socket a slice at a time, each slice only when the
/// kernel took the one before, with everything written meanwhile kept in order behind it.
struct BoundedWritesTests {
    /// Stands for the socket: passes writes on but completes their promises only when told, as
    /// a socket does when the kernel has taken the bytes.
    final class Socket: ChannelOutboundHandler {
        typealias OutboundIn = HTTPResponsePart
        var held: [EventLoopPromise<Void>] = []
        var flushes = 0

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            let taken = context.eventLoop.makePromise(of: Void.self)
            held.append(taken)
            context.write(data, promise: nil)
            if let promise { taken.futureResult.cascade(to: promise) }
        }

        func flush(context: ChannelHandlerContext) {
            flushes += 1
            context.flush()
        }

        /// The kernel takes the oldest write.
        func take() { held.removeFirst().succeed() }

        /// The kernel takes every write left (a promise must not be dropped unfulfilled).
        func takeAll() { while !held.isEmpty { take() } }
    }

    struct Rig {
        let channel = EmbeddedChannel()
        let socket = Socket()

        init(limit: Int) throws {
            try channel.pipeline.syncOperations.addHandler(socket)
            try channel.pipeline.syncOperations.addHandler(BoundedWrites(limit: limit))
        }

        /// Everything that reached the socket since the last call, bodies as text.
        func written() throws -> [String] {
            var parts: [String] = []
            while let part = try channel.readOutbound(as: HTTPResponsePart.self) {
                switch part {
                case .head(let head): parts.append("head \(head.status.code)")
                case .body(let body): parts.append(String(buffer: body))
                case .end: parts.append("end")
                }
            }
            return parts
        }

        func body(_ text: String) -> HTTPResponsePart { .body(ByteBuffer(string: text)) }
    }

    @Test func aLongBodyGoesOutASliceAtATimeWithLaterPartsKeptBehindIt() throws {
        let rig = try Rig(limit: 4)
        let channel = rig.channel
        let bodyWritten = channel.eventLoop.makePromise(of: Void.self)
        let endWritten = channel.eventLoop.makePromise(of: Void.self)
        var bodyDone = false
        bodyWritten.futureResult.assumeIsolated().whenSuccess { bodyDone = true }
        channel.write(HTTPResponsePart.head(HTTPResponse(status: .ok)), promise: nil)
        channel.write(rig.body("abcdefghij"), promise: bodyWritten)
        channel.write(HTTPResponsePart.end(nil), promise: endWritten)
        channel.write(rig.body("xy"), promise: nil)
        channel.flush()

        // The head and the first slice; the rest waits for the kernel to take that slice.
        #expect(try rig.written() == ["head 200", "abcd"])
        rig.socket.take()  // the head
        #expect(try rig.written() == [])
        rig.socket.take()  // "abcd"
        #expect(try rig.written() == ["efgh"])
        #expect(!bodyDone)
        rig.socket.take()  // "efgh": the last slice, then what waited, in order, and flushed
        #expect(try rig.written() == ["ij", "end", "xy"])
        #expect(!bodyDone, "the body's writer hears of it when its last slice is taken")
        rig.socket.take()
        #expect(bodyDone)
        rig.socket.takeAll()
        try endWritten.futureResult.wait()
        #expect(try channel.finish().isClean)
    }

    @Test func shortPartsPassUntouchedAndAFailedSliceFailsItsBodyAndLetsTheRestGoOn() throws {
        let rig = try Rig(limit: 4)
        let channel = rig.channel
        channel.write(rig.body("abcd"), promise: nil)
        channel.flush()
        #expect(try rig.written() == ["abcd"])
        #expect(rig.socket.flushes == 1)

        let bodyWritten = channel.eventLoop.makePromise(of: Void.self)
        channel.write(rig.body("0123456789"), promise: bodyWritten)
        channel.write(HTTPResponsePart.end(nil), promise: nil)
        channel.flush()
        #expect(try rig.written() == ["0123"])
        rig.socket.take()  // "abcd"
        rig.socket.held.removeFirst().fail(ChannelError.ioOnClosedChannel)  // "0123"
        #expect(throws: ChannelError.ioOnClosedChannel) { try bodyWritten.futureResult.wait() }
        // The body's rest is dropped; the end still goes to the channel, which decides its fate.
        #expect(try rig.written() == ["end"])
        rig.socket.takeAll()
        #expect(try channel.finish().isClean)
    }

    @Test func twoLongBodiesInARowAreSlicedInTurn() throws {
        let rig = try Rig(limit: 3)
        rig.channel.write(rig.body("aaabbb"), promise: nil)
        rig.channel.write(rig.body("cccdd"), promise: nil)
        rig.channel.flush()
        var seen: [String] = []
        for _ in 0..<4 {
            seen += try rig.written()
            rig.socket.take()
        }
        seen += try rig.written()
        #expect(seen == ["aaa", "bbb", "ccc", "dd"])
        rig.socket.takeAll()
        #expect(try rig.channel.finish().isClean)
    }
}
