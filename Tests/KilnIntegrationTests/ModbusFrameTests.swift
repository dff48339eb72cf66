import KilnCore
import Testing

@testable import KilnModbus

/// The poller's own Modbus/TCP framing: requests byte for byte, and replies that answer them,
/// or not.
struct ModbusFrameTests {
    static func request(
        transaction: UInt16 = 0x1234, unit: UInt8 = 7, function: UInt8 = 3, address: UInt16 = 0x0102,
        count: UInt16 = 10
    ) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xEE, count: ModbusFrame.requestLength)
        bytes.withUnsafeMutableBytes {
            ModbusFrame.encodeRead(
                into: $0, transaction: transaction, unit: unit, function: function, address: address, count: count)
        }
        return bytes
    }

    /// Decodes `frame` as the reply to a read of `count` from unit 7, transaction 0x1234.
    static func decode(_ frame: [UInt8], function: UInt8 = 3, count: Int) throws(ModbusError) -> [UInt16] {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: frame.count, alignment: 1)
        let values = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: count)
        defer {
            bytes.deallocate()
            values.deallocate()
        }
        bytes.copyBytes(from: frame)
        values.initialize(repeating: 0xFFFF)
        try ModbusFrame.decodeReadReply(
            UnsafeRawBufferPointer(bytes), transaction: 0x1234, unit: 7, function: function, count: count,
            into: values)
        return Array(values)
    }

    static func frameLength(_ frame: [UInt8]) throws(ModbusError) -> Int? {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: frame.count, alignment: 1)
        defer { bytes.deallocate() }
        bytes.copyBytes(from: frame)
        return try ModbusFrame.frameLength(UnsafeRawBufferPointer(bytes))
    }

    /// MBAP header for a PDU of `pdu` bytes from unit 7, transaction 0x1234.
    static func header(pdu: Int, transaction: UInt16 = 0x1234, unit: UInt8 = 7) -> [UInt8] {
        [UInt8(transaction >> 8), UInt8(transaction & 0xFF), 0, 0, 0, UInt8(pdu + 1), unit]
    }

    @Test func readRequestIsTheMBAPHeaderAndThePDU() {
        #expect(Self.request() == [0x12, 0x34, 0, 0, 0, 6, 7, 3, 0x01, 0x02, 0, 10])
        #expect(Self.request(function: 2, address: 0xFFFF, count: 2000)[7...] == [2, 0xFF, 0xFF, 0x07, 0xD0])
        #expect([RegisterKind.coil, .discrete, .holding, .input].map(ModbusFrame.readFunction) == [1, 2, 3, 4])
    }

    @Test func frameLengthNeedsTheHeaderAndRejectsImpossibleLengths() throws {
        let reply = Self.header(pdu: 5) + [3, 4, 0, 1, 0, 2]
        #expect(try Self.frameLength(Array(reply[..<6])) == nil)
        #expect(try Self.frameLength(reply) == 12)
        for length: UInt8 in [0, 2] {
            var bad = reply
            bad[5] = length
            #expect(throws: ModbusError.self) { try Self.frameLength(bad) }
        }
        var huge = reply
        huge[4] = 1  // 256 + 6: beyond the 260-byte frame limit
        #expect(throws: ModbusError.self) { try Self.frameLength(huge) }
    }

    @Test func registersAreBigEndian() throws {
        let reply = Self.header(pdu: 6) + [3, 4, 0x12, 0x34, 0xAB, 0xCD]
        #expect(try Self.decode(reply, count: 2) == [0x1234, 0xABCD])
    }

    @Test func bitsArePackedLeastSignificantFirst() throws {
        // 10 coils: 1,0,1,1,0,0,0,1 | 1,0
        let reply = Self.header(pdu: 4) + [1, 2, 0b1000_1101, 0b0000_0001]
        #expect(try Self.decode(reply, function: 1, count: 10) == [1, 0, 1, 1, 0, 0, 0, 1, 1, 0])
    }

    @Test func anExceptionReplyIsItsOwnKind() {
        let reply = Self.header(pdu: 2) + [0x83, 2]
        #expect(
            throws: ModbusError(
                kind: .exception(2), code: ModbusFrame.exceptionErrno(2), message: "illegal data address")
        ) {
            try Self.decode(reply, count: 2)
        }
        let busy = Self.header(pdu: 2) + [0x84, 6]
        do {
            _ = try Self.decode(busy, function: 4, count: 2)
            Issue.record("a busy reply decoded")
        } catch {
            #expect(error.isBusy && !error.needsReconnect)
        }
    }

    /// Whatever does not answer this request is a transport error: the connection is closed,
    /// so nothing is ever taken for the wrong request.
    @Test(arguments: [
        ("another transaction", header(pdu: 6, transaction: 0x1233) + [3, 4, 0, 1, 0, 2]),
        ("another unit", header(pdu: 6, unit: 8) + [3, 4, 0, 1, 0, 2]),
        ("another function", header(pdu: 6) + [4, 4, 0, 1, 0, 2]),
        ("an exception for another function", header(pdu: 2) + [0x84, 2]),
        ("too few values", header(pdu: 4) + [3, 2, 0, 1]),
        ("a byte count that is not the frame's", header(pdu: 6) + [3, 6, 0, 1, 0, 2]),
        ("not Modbus", [0x12, 0x34, 0, 1, 0, 7, 7, 3, 4, 0, 1, 0, 2]),
    ])
    func aReplyToAnythingElseIsATransportError(what: String, reply: [UInt8]) {
        do {
            _ = try Self.decode(reply, count: 2)
            Issue.record("\(what) was taken as the reply")
        } catch {
            #expect(error.kind == .transport, "\(what): \(error)")
            #expect(error.needsReconnect)
        }
    }

    // MARK: - Matching a frame against the request in flight

    static func verdict(_ frame: [UInt8], function: UInt8 = 3, count: Int = 2) -> ModbusFrame.Verdict {
        frame.withUnsafeBytes {
            ModbusFrame.verdict(
                $0, for: ModbusFrame.ReadRequest(transaction: 0x1234, unit: 7, function: function, count: count))
        }
    }

    /// Only a frame that matches in transaction id, unit, function and byte count is a reply;
    /// anything else is a mismatch, to discard while the reply is still awaited.
    @Test func aFrameIsTheReplyOnlyWhenEverythingMatches() {
        #expect(Self.verdict(Self.header(pdu: 6) + [3, 4, 0, 1, 0, 2]) == .reply)
        #expect(Self.verdict(Self.header(pdu: 2) + [0x83, 2]) == .exception(2))
        #expect(Self.verdict(Self.header(pdu: 3) + [1, 1, 0b11], function: 1, count: 2) == .reply)
        let mismatches: [(String, [UInt8])] = [
            ("next transaction", Self.header(pdu: 6, transaction: 0x1235) + [3, 4, 0, 1, 0, 2]),
            ("another unit", Self.header(pdu: 6, unit: 8) + [3, 4, 0, 1, 0, 2]),
            ("another function", Self.header(pdu: 6) + [4, 4, 0, 1, 0, 2]),
            ("another function's exception", Self.header(pdu: 2) + [0x84, 2]),
            ("one register more", Self.header(pdu: 8) + [3, 6, 0, 1, 0, 2, 0, 3]),
            ("a byte count the frame does not hold", Self.header(pdu: 6) + [3, 6, 0, 1, 0, 2]),
            ("an exception with a tail", Self.header(pdu: 3) + [0x83, 2, 0]),
            ("too short", Self.header(pdu: 1) + [3]),
        ]
        for (what, frame) in mismatches {
            guard case .mismatch = Self.verdict(frame) else {
                Issue.record("\(what) was not a mismatch: \(Self.verdict(frame))")
                continue
            }
        }
    }

    @Test func aHeaderWithAnotherProtocolIDIsNotModbus() {
        #expect(throws: ModbusError.self) { try Self.frameLength([0x12, 0x34, 0, 1, 0, 6, 7, 3, 4, 0, 1, 0, 2]) }
        #expect(throws: ModbusError.self) { try Self.frameLength(Array("SSH-2.0-OpenSSH".utf8)) }
    }

    /// What a peer that is not Modbus sent, in words: a banner's text, a TLS record, or hex.
    @Test(arguments: [
        (Array("SSH-2.0-OpenSSH_9.2p1\r\n".utf8), "begins \"SSH-2.0-OpenSSH_9.2p1\""),
        (Array("HTTP/1.1 400 Bad Request\r\n".utf8), "begins \"HTTP/1.1 400 Bad Request\""),
        ([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x32], "is a TLS alert"),
        ([0x16, 0x03, 0x03, 0x00, 0x40], "is a TLS record"),
        ([0xDE, 0xAD, 0x00, 0x07, 0x0A], "begins with the bytes DE AD 00 07 0A"),
    ])
    func theStartOfAForeignReplyIsDescribed(bytes: [UInt8], described: String) {
        #expect(bytes.withUnsafeBytes { ModbusFrame.describeStart($0) } == described)
    }
}
