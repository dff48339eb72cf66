/// Why ``BlockCodec/decode(_:)`` rejected a block: what is wrong and where.
///
/// A block that fails to decode is damaged (a torn write, a bad disk sector, a foreign blob); its
/// points cannot be trusted, so the caller reports the block and skips it.
public struct BlockCodecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of failure, open for additions like an OPC UA status.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public var rawValue: String
        /// - Parameter rawValue: the code's name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code's name.
        /// What failed, where, and what it means for the block.
        public var description: String { rawValue }

        /// The block ends before the data its header promises.
        public static let truncated = Code(rawValue: "truncated")
        /// The version byte names a format this build does not know.
        public static let unsupportedVersion = Code(rawValue: "unsupported version")
        /// A field holds a value no encoder writes.
        public static let corrupt = Code(rawValue: "corrupt")
        /// Bytes follow the last point.
        public static let trailingData = Code(rawValue: "trailing data")
    }

    /// The class of failure.
    public var code: Code
    /// The bit offset from the start of the block where decoding stopped.
    public var bitOffset: Int
    /// What was found, in words.
    public var message: String

    /// - Parameters:
    ///   - code: the class of failure.
    ///   - bit: the bit offset from the start of the block.
    ///   - message: what was found.
    public init(_ code: Code, bit: Int, _ message: String) {
        self.code = code
        self.bitOffset = bit
        self.message = message
    }

    /// What failed, where, and what it means for the block.
    public var description: String {
        let consequence =
            code == .unsupportedVersion
            ? "a newer Kiln wrote it; read it with that version"
            : "the block is damaged and its points cannot be read"
        return "compressed block is \(code) at byte \(bitOffset / 8): \(message); \(consequence)"
    }
}
