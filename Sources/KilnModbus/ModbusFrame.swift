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
/// at once. `kiln probe`, writes and the simulator still go through libmodbus (``ModbusClient``).
///
/// A reply is only ever taken for the request it answers: its transaction id, unit, function and
/// byte count must match, and the poller never leaves a request outstanding on a connection it
/// keeps (after a timeout the connection is closed).
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
    /// A length field that no Modbus frame can have is an error (the stream is out of step).
    public static func frameLength(_ bytes: UnsafeRawBufferPointer) throws(ModbusError) -> Int? {
        guard bytes.count >= headerLength else { return nil }
        let length = Int(bytes[4]) << 8 | Int(bytes[5])
        guard length >= 3, 6 + length <= maxFrameLength else {
            throw malformed("a reply header announces \(length) bytes")
        }
        return 6 + length
    }

    /// Checks a complete reply (exactly one frame) against the read request it answers and
    /// writes its `count` values into `values` (bits as 0 or 1).
    ///
    /// - Throws: `.exception(code)` for an exception reply, `.transport` for anything that does
    ///   not answer this request (the caller closes the connection).
    public static func decodeReadReply(
        _ frame: UnsafeRawBufferPointer, transaction: UInt16, unit: UInt8, function: UInt8, count: Int,
        into values: UnsafeMutableBufferPointer<UInt16>
    ) throws(ModbusError) {
        guard frame.count >= 9 else { throw malformed("a reply of \(frame.count) bytes is too short") }
        let replyTransaction = UInt16(frame[0]) << 8 | UInt16(frame[1])
        guard replyTransaction == transaction else {
            throw malformed("a reply carries transaction \(replyTransaction), the request was \(transaction)")
        }
        guard frame[2] == 0, frame[3] == 0 else { throw malformed("a reply is not Modbus (protocol id)") }
        guard frame[6] == unit else {
            throw malformed("a reply comes from unit \(frame[6]), the request was to \(unit)")
        }
        let replyFunction = frame[7]
        if replyFunction == function | 0x80 {
            guard frame.count == 9 else { throw malformed("an exception reply of \(frame.count) bytes") }
            let code = frame[8]
            throw ModbusError(
                kind: .exception(code), code: exceptionErrno(code), message: ModbusError.exceptionName(code))
        }
        guard replyFunction == function else {
            throw malformed("a reply has function \(replyFunction), the request was \(function)")
        }
        let isBits = function <= 2
        let expected = isBits ? (count + 7) / 8 : 2 * count
        let byteCount = Int(frame[8])
        guard byteCount == expected, frame.count == 9 + byteCount else {
            throw malformed("a reply holds \(byteCount) data bytes where \(expected) were asked for")
        }
        precondition(values.count >= count)
        if isBits {
            for i in 0..<count {
                values[i] = UInt16(frame[9 + i >> 3] >> UInt8(i & 7) & 1)
            }
        } else {
            for i in 0..<count {
                values[i] = UInt16(frame[9 + 2 * i]) << 8 | UInt16(frame[10 + 2 * i])
            }
        }
    }

    /// The errno-style code libmodbus gives an exception (MODBUS_ENOBASE + code), so errors read
    /// the same whichever path produced them.
    static func exceptionErrno(_ code: UInt8) -> Int32 { kiln_modbus_enobase() + Int32(code) }

    static func malformed(_ message: String) -> ModbusError {
        ModbusError(kind: .transport, code: EPROTO, message: message)
    }
}
