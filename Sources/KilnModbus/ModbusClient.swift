import CModbus
import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking Modbus/TCP client on libmodbus, for `kiln probe` (reads and writes, one request at a
/// time); it owns one libmodbus context.
///
/// The poll path does not use it: `kiln run`'s pollers frame Modbus/TCP themselves on
/// non-blocking sockets (``ModbusConnection``, ``ModbusFrame``), since libmodbus waits for replies
/// in `select()`, blocks its thread per request and cannot watch descriptors of 1024 or more.
///
/// Not `Sendable`: a libmodbus context belongs to one thread at a time.
public final class ModbusClient {
    public let host: String
    public let port: Int
    public let unit: Int
    public let timeout: Duration

    /// FD_SETSIZE: the highest descriptor select() can watch, plus one.
    static let selectLimit: Int32 = 1024

    private let context: OpaquePointer
    public private(set) var isConnected = false
    /// Bits come back one byte each from libmodbus; this scratch buffer avoids an allocation a read.
    private var bitScratch: [UInt8] = []

    /// - Parameters:
    ///   - host: IP address or host name.
    ///   - port: TCP port.
    ///   - unit: Modbus unit (slave) id.
    ///   - timeout: response timeout; libmodbus also uses it as the connect timeout.
    public init(host: String, port: Int, unit: Int, timeout: Duration) throws(ModbusError) {
        self.host = host
        self.port = port
        self.unit = unit
        self.timeout = timeout
        guard let ctx = modbus_new_tcp_pi(host, String(port)) else {
            throw ModbusClient.lastError(kind: .connect)
        }
        context = ctx
        modbus_set_slave(ctx, Int32(unit))
        let ns = max(timeout.nanoseconds, 1000)
        modbus_set_response_timeout(ctx, UInt32(ns / 1_000_000_000), UInt32(ns % 1_000_000_000 / 1000))
        // A reply's bytes arrive together on TCP; give a straggler the same budget.
        modbus_set_byte_timeout(ctx, UInt32(ns / 1_000_000_000), UInt32(ns % 1_000_000_000 / 1000))
    }

    deinit {
        modbus_close(context)
        modbus_free(context)
    }

    /// Opens the TCP connection.
    public func connect() throws(ModbusError) {
        if isConnected { return }
        if modbus_connect(context) == -1 {
            let error = ModbusClient.lastError(kind: .connect)
            modbus_close(context)
            throw error
        }
        // libmodbus waits for replies with select(), which cannot watch a descriptor of 1024 or
        // more (glibc's fortified FD_SET aborts the process): refuse such a connection cleanly.
        let socket = modbus_get_socket(context)
        if socket >= ModbusClient.selectLimit {
            modbus_close(context)
            throw ModbusError(
                kind: .connect, code: EMFILE,
                message: "socket descriptor \(socket) is beyond select()'s limit of \(ModbusClient.selectLimit) "
                    + "that libmodbus relies on; poll fewer devices per Kiln process")
        }
        isConnected = true
    }

    /// Closes the connection; the next `connect()` opens a fresh one.
    public func close() {
        modbus_close(context)
        isConnected = false
    }

    /// Reads `count` registers (or bits, as 0 or 1) starting at protocol address `address`.
    ///
    /// - Parameters:
    ///   - kind: which table to read.
    ///   - address: 0-based protocol address.
    ///   - count: registers or bits to read.
    ///   - destination: receives `count` values.
    public func read(
        _ kind: RegisterKind, address: Int, count: Int, into destination: UnsafeMutableBufferPointer<UInt16>
    ) throws(ModbusError) {
        precondition(destination.count >= count)
        if !isConnected { try connect() }
        let rc: Int32
        switch kind {
        case .holding:
            rc = modbus_read_registers(context, Int32(address), Int32(count), destination.baseAddress)
        case .input:
            rc = modbus_read_input_registers(context, Int32(address), Int32(count), destination.baseAddress)
        case .coil, .discrete:
            if bitScratch.count < count { bitScratch = Array(repeating: 0, count: max(count, 64)) }
            rc = bitScratch.withUnsafeMutableBufferPointer { bits in
                kind == .coil
                    ? modbus_read_bits(context, Int32(address), Int32(count), bits.baseAddress)
                    : modbus_read_input_bits(context, Int32(address), Int32(count), bits.baseAddress)
            }
            if rc != -1 {
                for i in 0..<count { destination[i] = UInt16(bitScratch[i]) }
            }
        }
        if rc == -1 {
            let error = ModbusClient.lastError(kind: .transport)
            if error.needsReconnect { close() }
            throw error
        }
    }

    /// Reads into a new array; convenient where speed does not matter (`kiln probe`).
    public func read(_ kind: RegisterKind, address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        var words = [UInt16](repeating: 0, count: count)
        try words.withUnsafeMutableBufferPointer { (buffer) throws(ModbusError) in
            try read(kind, address: address, count: count, into: buffer)
        }
        return words
    }

    /// Writes holding registers (function 16).
    public func write(registers: [UInt16], at address: Int) throws(ModbusError) {
        if !isConnected { try connect() }
        let rc = registers.withUnsafeBufferPointer {
            modbus_write_registers(context, Int32(address), Int32(registers.count), $0.baseAddress)
        }
        if rc == -1 {
            let error = ModbusClient.lastError(kind: .transport)
            if error.needsReconnect { close() }
            throw error
        }
    }

    /// Turns the errno left by a failed libmodbus call into a typed error. Must run right after
    /// the failing call, before anything else can touch errno.
    static func lastError(kind fallback: ModbusError.Kind) -> ModbusError {
        let code = kiln_errno()
        let message = String(cString: modbus_strerror(code))
        let base = kiln_modbus_enobase()
        if code > base, code <= base + 0xFF, code < kiln_modbus_embbadcrc() {
            return ModbusError(kind: .exception(UInt8(code - base)), code: code, message: message)
        }
        switch code {
        case EINPROGRESS where fallback == .connect:
            // libmodbus 3.1.6 returns from a timed-out connect without setting errno, leaving the
            // non-blocking connect's EINPROGRESS behind.
            return ModbusError(kind: .connect, code: ETIMEDOUT, message: String(cString: strerror(ETIMEDOUT)))
        case ETIMEDOUT:
            return ModbusError(kind: fallback == .connect ? .connect : .timeout, code: code, message: message)
        case ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL, EINVAL:
            return ModbusError(kind: .connect, code: code, message: message)
        default:
            return ModbusError(kind: fallback, code: code, message: message)
        }
    }
}
