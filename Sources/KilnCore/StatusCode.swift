/// A 32-bit OPC UA StatusCode (OPC 10000-4 §7.39): the top two bits give the severity.
public struct StatusCode: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public enum Quality: String, Sendable { case good, uncertain, bad }

    public var quality: Quality {
        switch rawValue >> 30 {
        case 0: .good
        case 1: .uncertain
        default: .bad
        }
    }

    public var isGood: Bool { quality == .good }
    public var isBad: Bool { quality == .bad }

    /// The symbolic name, or the hex code when Kiln does not know it.
    public var name: String {
        StatusCode.names[rawValue] ?? "0x" + String(rawValue, radix: 16, uppercase: true)
    }

    public var description: String { name }

    public init?(name: String) {
        guard let raw = StatusCode.names.first(where: { $0.value == name })?.key else { return nil }
        self.rawValue = raw
    }
}

extension StatusCode {
    public static let good = StatusCode(rawValue: 0x0000_0000)
    public static let uncertainNoCommunicationLastUsableValue = StatusCode(rawValue: 0x408F_0000)
    public static let uncertainLastUsableValue = StatusCode(rawValue: 0x4090_0000)
    public static let uncertainSubstituteValue = StatusCode(rawValue: 0x4091_0000)
    public static let uncertainInitialValue = StatusCode(rawValue: 0x4092_0000)
    public static let uncertainSensorNotAccurate = StatusCode(rawValue: 0x4093_0000)
    public static let uncertainEngineeringUnitsExceeded = StatusCode(rawValue: 0x4094_0000)
    public static let badUnexpectedError = StatusCode(rawValue: 0x8001_0000)
    public static let badInternalError = StatusCode(rawValue: 0x8002_0000)
    public static let badResourceUnavailable = StatusCode(rawValue: 0x8004_0000)
    public static let badCommunicationError = StatusCode(rawValue: 0x8005_0000)
    public static let badDecodingError = StatusCode(rawValue: 0x8007_0000)
    public static let badTimeout = StatusCode(rawValue: 0x800A_0000)
    public static let badServerNotConnected = StatusCode(rawValue: 0x800D_0000)
    public static let badNoCommunication = StatusCode(rawValue: 0x8031_0000)
    public static let badWaitingForInitialData = StatusCode(rawValue: 0x8032_0000)
    public static let badConfigurationError = StatusCode(rawValue: 0x8089_0000)
    public static let badNotConnected = StatusCode(rawValue: 0x808A_0000)
    public static let badDeviceFailure = StatusCode(rawValue: 0x808B_0000)
    public static let badSensorFailure = StatusCode(rawValue: 0x808C_0000)
    public static let badOutOfService = StatusCode(rawValue: 0x808D_0000)
    /// No data exists for the requested time range (historian aggregates of empty intervals).
    public static let badNoData = StatusCode(rawValue: 0x809B_0000)

    static let names: [UInt32: String] = [
        good.rawValue: "Good",
        uncertainNoCommunicationLastUsableValue.rawValue: "UncertainNoCommunicationLastUsableValue",
        uncertainLastUsableValue.rawValue: "UncertainLastUsableValue",
        uncertainSubstituteValue.rawValue: "UncertainSubstituteValue",
        uncertainInitialValue.rawValue: "UncertainInitialValue",
        uncertainSensorNotAccurate.rawValue: "UncertainSensorNotAccurate",
        uncertainEngineeringUnitsExceeded.rawValue: "UncertainEngineeringUnitsExceeded",
        badUnexpectedError.rawValue: "BadUnexpectedError",
        badInternalError.rawValue: "BadInternalError",
        badResourceUnavailable.rawValue: "BadResourceUnavailable",
        badCommunicationError.rawValue: "BadCommunicationError",
        badDecodingError.rawValue: "BadDecodingError",
        badTimeout.rawValue: "BadTimeout",
        badServerNotConnected.rawValue: "BadServerNotConnected",
        badNoCommunication.rawValue: "BadNoCommunication",
        badWaitingForInitialData.rawValue: "BadWaitingForInitialData",
        badConfigurationError.rawValue: "BadConfigurationError",
        badNotConnected.rawValue: "BadNotConnected",
        badDeviceFailure.rawValue: "BadDeviceFailure",
        badSensorFailure.rawValue: "BadSensorFailure",
        badOutOfService.rawValue: "BadOutOfService",
        badNoData.rawValue: "BadNoData",
    ]
}
