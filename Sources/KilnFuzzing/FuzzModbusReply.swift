import KilnCore
import KilnModbus

#if canImport(Glibc)
    import Glibc
#endif

/// The Modbus reply parser and the connection's state machine, fed arbitrary bytes as the
/// stream a device sends, through a socketpair: some before the request (drained as unasked),
/// the rest after it. Checks the invariant that matters: values (or an exception) are only
/// delivered for a frame that answers the request in flight, and the values are that frame's.
///
/// Input: byte 0 chooses the function (bits 0–1), whether the first two stream bytes after the
/// request are replaced by its transaction id (bit 2, so that matching replies are reachable),
/// and whether the peer then hangs up (bit 3); byte 1 the count; byte 2 how many stream bytes go
/// before the request; the rest is the stream.
public enum FuzzModbusReply: FuzzTarget {
    public static let name = "modbus-reply"

    public static func run(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 3 else { return }
        let control = data[0]
        let function = control & 3 + 1
        let kind: RegisterKind = [.coil, .discrete, .holding, .input][Int(function - 1)]
        let count = function <= 2 ? Int(data[1]) % 200 + 1 : Int(data[1]) % 125 + 1
        var stream = Array(data[3...].prefix(16 * 1024))
        let early = min(Int(data[2]), stream.count)

        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { return }
        let peer = fds[1]
        defer { close(peer) }
        _ = fcntl(peer, F_SETFL, fcntl(peer, F_GETFL) | O_NONBLOCK)
        let connection = ModbusConnection(host: "127.0.0.1", port: 502, unit: 1, timeout: .milliseconds(1))
        do {
            try connection.adopt(connectedSocket: fds[0])
        } catch {
            return
        }
        defer { connection.close() }

        write(peer, stream[..<early])
        do {
            try connection.send(read: kind, address: 0, count: count)
        } catch {
            return  // what came before the request was not Modbus, or the peer is gone
        }
        var request = [UInt8](repeating: 0, count: 12)
        guard request.withUnsafeMutableBytes({ recv(peer, $0.baseAddress, 12, 0) }) == 12 else {
            fatalError("the request did not arrive whole")
        }
        if control & 4 != 0, stream.count >= early + 2 {
            stream[early] = request[0]
            stream[early + 1] = request[1]
        }
        let written = write(peer, stream[early...])
        if control & 8 != 0 { shutdown(peer, Int32(SHUT_WR)) }

        let expected = ModbusFrame.ReadRequest(
            transaction: UInt16(request[0]) << 8 | UInt16(request[1]), unit: 1, function: function, count: count)
        let reference = Reference.outcome(of: Array(stream[..<(early + written)]), after: early, for: expected)

        let values = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: count)
        defer { values.deallocate() }
        values.initialize(repeating: 0xFFFF)
        for _ in 0..<64 {
            do {
                if try connection.receive(into: values) {
                    guard case .values(let truth) = reference, Array(values) == truth else {
                        fatalError("values delivered from a frame that does not answer the request: \(reference)")
                    }
                    return
                }
            } catch {
                if case .exception(let code) = error.kind {
                    guard reference == .exception(code) else {
                        fatalError("exception \(code) delivered from a frame that does not answer the request")
                    }
                }
                return
            }
        }
    }

    /// Writes what the socket takes; returns how many bytes it took.
    @discardableResult
    private static func write(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Int {
        guard !bytes.isEmpty else { return 0 }
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return max(n, 0)
    }

    /// An independent reading of the stream: the outcome a correct connection must reach.
    enum Reference: Equatable {
        case values([UInt16])
        case exception(UInt8)
        /// No frame answers the request (or the stream breaks before one does).
        case none

        static func outcome(of stream: [UInt8], after early: Int, for request: ModbusFrame.ReadRequest) -> Reference {
            var at = 0
            while stream.count - at >= 7 {
                let protocolID = Int(stream[at + 2]) << 8 | Int(stream[at + 3])
                let length = Int(stream[at + 4]) << 8 | Int(stream[at + 5])
                guard protocolID == 0, length >= 3, length <= 254 else { return .none }
                let end = at + 6 + length
                guard end <= stream.count else { return .none }
                defer { at = end }
                // Frames complete before the request was sent were drained as unasked.
                if end <= early { continue }
                let f = Array(stream[at..<end])
                guard UInt16(f[0]) << 8 | UInt16(f[1]) == request.transaction, f[6] == request.unit else { continue }
                if f[7] == request.function | 0x80, f.count == 9 { return .exception(f[8]) }
                guard f[7] == request.function, f.count >= 9, Int(f[8]) == request.byteCount,
                    f.count == 9 + request.byteCount
                else { continue }
                var values: [UInt16] = []
                for i in 0..<request.count {
                    if request.function <= 2 {
                        values.append(UInt16(f[9 + i / 8] >> UInt8(i % 8) & 1))
                    } else {
                        values.append(UInt16(f[9 + 2 * i]) << 8 | UInt16(f[10 + 2 * i]))
                    }
                }
                return .values(values)
            }
            return .none
        }
    }
}
