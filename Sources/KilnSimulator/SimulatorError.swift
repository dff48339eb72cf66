/// Why the simulated plant could not be built or started.
public struct SimulatorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An open set of failure kinds.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The device map cannot be served as given (duplicate unit ids on a port, bad addresses,
        /// an exception code Modbus does not have).
        public static let invalidMap = Code(rawValue: "invalid map")
        /// A listening socket could not be opened (address in use, bad bind address).
        public static let listenFailed = Code(rawValue: "listen failed")
        /// A thread could not be started.
        public static let threadFailed = Code(rawValue: "thread failed")
        /// The timing log could not be opened.
        public static let timingLogFailed = Code(rawValue: "timing log failed")
        /// `start()` was called on a server that had already been started.
        public static let alreadyStarted = Code(rawValue: "already started")
    }

    public var code: Code
    /// What failed, where, and what to do about it.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
