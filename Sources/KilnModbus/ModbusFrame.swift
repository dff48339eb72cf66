import CModbus
import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// Modbus/TCP framing of the poller's read requests (functions 1–4) and their replies.
///
/// The poller frames its reads itself instead of calling libmodbus's `modbus_read_*`, for two
/// reasons measured in tools/bench: libmodbus receives a reply in three select()+recv() rounds
/// (seven system calls a request where one send and one recv do), and its calls block the
/// calling thread until the reply, so one thread could not wait for several devices' replies
/// at once. `kiln probe` still goes through libmodbus (``ModbusClient``), and the simulator
/// (KilnSimulator) answers with libmodbus's server side.
///
/// A reply is only ever taken for the request it answers: its transaction id, unit, function and
/// byte count must match (``verdict(_:for:)``); a frame that does not is discarded, never decoded.
/// The poller never leaves a request outstanding on a connection it keeps (after a timeout the
/// connection is closed).
public enum ModbusFrame {
    /// Bytes of a read request: MBAP header (7) + function, address and count (5).
    public static let requestLength = 12
    /// The largest Modbus/TCP frame: MBAP header (7) + the largest PDU (253).
    public static let maxFrameLength = 260
    /// The MBAP header: transaction id, protocol id, length, unit id.
    public static let headerLength = 7

    /// The read function for a register kind: coils 1, discrete inputs 2, holding 3, input 4.
    @inlinable
    public static func readFunction(_ kind: RegisterKind) -> UInt8 {
        switch kind {
        case .coil: 1
        case .discrete: 2
        case .holding: 3
        case .input: 4
        }
    }

    /// Writes a read request into `buffer` (at least ``requestLength`` bytes).
    ///
    /// - Parameters:
    ///   - transaction: the id the reply must carry.
    ///   - unit: the Modbus unit id.
    ///   - function: 1–4.
    ///   - address: 0-based protocol address.
    ///   - count: registers (or bits) to read.
    public static func encodeRead(
        into buffer: UnsafeMutableRawBufferPointer, transaction: UInt16, unit: UInt8, function: UInt8,
        address: UInt16, count: UInt16
    ) {
        precondition(buffer.count >= requestLength)
        buffer[0] = UInt8(transaction >> 8)
        buffer[1] = UInt8(transaction & 0xFF)
        buffer[2] = 0  // protocol id: Modbus
        buffer[3] = 0
        buffer[4] = 0  // length: unit id + the 5-byte PDU
        buffer[5] = 6
        buffer[6] = unit
        buffer[7] = function
        buffer[8] = UInt8(address >> 8)
        buffer[9] = UInt8(address & 0xFF)
        buffer[10] = UInt8(count >> 8)
        buffer[11] = UInt8(count & 0xFF)
    }

    /// The length of the frame that starts `bytes`, once its header has arrived; nil before.
    ///
    /// A header no Modbus/TCP frame can have (a protocol id other than 0, a length outside
    /// 3...254) is an error: the stream is out of step, or the peer speaks another protocol.
    public static func frameLength(_ bytes: UnsafeRawBufferPointer) throws(ModbusError) -> Int? {
        guard bytes.count >= headerLength else { return nil }
        let protocolID = Int(bytes[2]) << 8 | Int(bytes[3])
        guard protocolID == 0 else { throw malformed("a frame header carries protocol id \(protocolID), not 0") }
        let length = Int(bytes[4]) << 8 | Int(bytes[5])
        guard length >= 3, 6 + length <= maxFrameLength else {
            throw malformed("a reply header announces \(length) bytes")
        }
        return 6 + length
    }

    /// The read request a reply must answer.
    public struct ReadRequest: Sendable, Hashable {
        public var transaction: UInt16
        public var unit: UInt8
        public var function: UInt8
        /// Registers or bits asked for.
        public var count: Int

        public init(transaction: UInt16, unit: UInt8, function: UInt8, count: Int) {
            self.transaction = transaction
            self.unit = unit
            self.function = function
            self.count = count
        }

        /// The data bytes a good reply carries: two a register, one per eight bits.
        public var byteCount: Int { function <= 2 ? (count + 7) / 8 : 2 * count }
    }

    /// What a complete frame is, held against the request in flight.
    public enum Verdict: Sendable, Hashable {
        /// It answers the request with its values.
        case reply
        /// It answers the request with this exception code.
        case exception(UInt8)
        /// It answers something else (the reason says what differs): it must be discarded.
        case mismatch(String)
    }

    /// Holds a complete frame (exactly one, whose header ``frameLength(_:)`` accepted) against
    /// the request in flight: transaction id, unit, function and byte count must all match.
    public static func verdict(_ frame: UnsafeRawBufferPointer, for request: ReadRequest) -> Verdict {
        guard frame.count >= 9 else { return .mismatch("a frame of \(frame.count) bytes is too short for a reply") }
        let transaction = UInt16(frame[0]) << 8 | UInt16(frame[1])
        guard transaction == request.transaction else {
            return .mismatch("a frame carries transaction \(transaction), the request was \(request.transaction)")
        }
        guard frame[2] == 0, frame[3] == 0 else { return .mismatch("a frame is not Modbus (protocol id)") }
        guard frame[6] == request.unit else {
            return .mismatch("a frame comes from unit \(frame[6]), the request was to \(request.unit)")
        }
        let function = frame[7]
        if function == request.function | 0x80 {
            guard frame.count == 9 else { return .mismatch("an exception frame of \(frame.count) bytes") }
            return .exception(frame[8])
        }
        guard function == request.function else {
            return .mismatch("a frame has function \(function), the request was \(request.function)")
        }
        let byteCount = Int(frame[8])
        guard byteCount == request.byteCount, frame.count == 9 + byteCount else {
            return .mismatch(
                "a frame holds \(byteCount) data bytes in \(frame.count) where \(request.byteCount) were asked for")
        }
        return .reply
    }

    /// Writes the values of a frame whose verdict is `.reply` into `values` (bits as 0 or 1).
    public static func decodeValues(
        _ frame: UnsafeRawBufferPointer, for request: ReadRequest, into values: UnsafeMutableBufferPointer<UInt16>
    ) {
        let count = request.count
        precondition(values.count >= count && frame.count >= 9 + request.byteCount)
        if request.function <= 2 {
            for i in 0..<count {
                values[i] = UInt16(frame[9 + i >> 3] >> UInt8(i & 7) & 1)
            }
        } else {
            for i in 0..<count {
                values[i] = UInt16(frame[9 + 2 * i]) << 8 | UInt16(frame[10 + 2 * i])
            }
        }
    }

    /// Checks a complete reply (exactly one frame) against the read request it answers and
    /// writes its `count` values into `values` (bits as 0 or 1).
    ///
    /// - Throws: `.exception(code)` for an exception reply, `.transport` for anything that does
    ///   not answer this request.
    public static func decodeReadReply(
        _ frame: UnsafeRawBufferPointer, transaction: UInt16, unit: UInt8, function: UInt8, count: Int,
        into values: UnsafeMutableBufferPointer<UInt16>
    ) throws(ModbusError) {
        let request = ReadRequest(transaction: transaction, unit: unit, function: function, count: count)
        switch verdict(frame, for: request) {
        case .reply:
            decodeValues(frame, for: request, into: values)
        case .exception(let code):
            throw exception(code)
        case .mismatch(let reason):
            throw malformed(reason)
        }
    }

    /// The error for an exception reply.
    static func exception(_ code: UInt8) -> ModbusError {
        ModbusError(kind: .exception(code), code: exceptionErrno(code), message: ModbusError.exceptionName(code))
    }

    /// How the bytes a peer sent begin, in words for an engineer: the text of a banner or an
    /// error page, a TLS record, or the first bytes in hex.
    public static func describeStart(_ bytes: UnsafeRawBufferPointer) -> String {
        if bytes.count >= 2, (0x14...0x17).contains(bytes[0]), bytes[1] == 3 {
            return bytes[0] == 0x15 ? "is a TLS alert" : "is a TLS record"
        }
        var text = ""
        for byte in bytes.prefix(40) {
            guard (0x20...0x7E).contains(byte) else { break }
            text.unicodeScalars.append(Unicode.Scalar(byte))
        }
        if text.count >= 4 { return "begins \"\(text)\"" }
        let hex = bytes.prefix(8).map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }
        return "begins with the bytes \(hex.joined(separator: " "))"
    }

    /// The errno-style code libmodbus gives an exception (MODBUS_ENOBASE + code), so errors read
    /// the same whichever path produced them.
    static func exceptionErrno(_ code: UInt8) -> Int32 { kiln_modbus_enobase() + Int32(code) }

    static func malformed(_ message: String) -> ModbusError {
        ModbusError(kind: .transport, code: EPROTO, message: message)
    }
}
