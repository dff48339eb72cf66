import KilnCore

/// A failed Modbus transaction, classified the way a poller must react to it.
///
/// Exception replies are their own case: busy (6) means retry, illegal address (2) means a
/// configuration problem that read planning can isolate, and transport errors mean reconnect.
public struct ModbusError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// No reply within the response timeout.
        case timeout
        /// The TCP connection could not be made (refused, unreachable, name not found).
        case connect
        /// The connection broke or a malformed reply arrived.
        case transport
        /// The device answered with a Modbus exception.
        case exception(UInt8)
    }

    public var kind: Kind
    /// The C errno (or libmodbus code) behind the error.
    public var code: Int32
    /// libmodbus's or the OS's own words.
    public var message: String

    public init(kind: Kind, code: Int32, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String {
        switch kind {
        case .timeout: "no reply within the response timeout"
        case .connect: "cannot connect: \(message)"
        case .transport: "connection error: \(message)"
        case .exception(let c): "exception \(c): \(ModbusError.exceptionName(c))"
        }
    }

    /// Exception 6: the device asks to be asked again.
    public var isBusy: Bool { kind == .exception(6) }
    /// Exception 2: the request touched an address the device does not serve.
    public var isIllegalAddress: Bool { kind == .exception(2) }
    /// After a timeout or a transport error the connection cannot be trusted: a late reply could
    /// be taken for the next request's. Reconnect.
    public var needsReconnect: Bool {
        switch kind {
        case .timeout, .connect, .transport: true
        case .exception: false
        }
    }

    /// The OPC UA status the affected tags carry.
    public var status: StatusCode {
        switch kind {
        case .timeout: .badTimeout
        case .connect: .badNotConnected
        case .transport: .badCommunicationError
        case .exception(let c):
            switch c {
            case 1, 2, 3: .badConfigurationError
            case 4: .badDeviceFailure
            case 5, 6: .badResourceUnavailable
            case 0x0B: .badNoCommunication
            default: .badCommunicationError
            }
        }
    }

    public static func exceptionName(_ code: UInt8) -> String {
        switch code {
        case 1: "illegal function"
        case 2: "illegal data address"
        case 3: "illegal data value"
        case 4: "server device failure"
        case 5: "acknowledge"
        case 6: "server device busy"
        case 8: "memory parity error"
        case 0x0A: "gateway path unavailable"
        case 0x0B: "gateway target device failed to respond"
        default: "unknown exception"
        }
    }
}
