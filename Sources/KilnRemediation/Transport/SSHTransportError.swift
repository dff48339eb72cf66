/// Why the SSH transport cannot be set up: its control folder is unsafe or its socket path too long.
public struct SSHTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The control folder is a symlink, not a folder, not ours, or open to group or others.
        public static let unsafeControlDirectory = Code(rawValue: "unsafe_control_directory")
        /// The control folder could not be made or checked.
        public static let controlDirectory = Code(rawValue: "control_directory")
        /// A control socket's path would not fit in a Unix socket address.
        public static let socketPathTooLong = Code(rawValue: "socket_path_too_long")
    }

    public var code: Code
    public var description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
