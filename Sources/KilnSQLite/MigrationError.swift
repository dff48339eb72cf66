/// A file that cannot be brought to the versions this build knows, or a step that failed.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, for code that reacts to it; the message says it for people.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The file records a version of a module newer than this build's list: a newer Kiln
        /// wrote it, and this one would damage what it does not know.
        public static let newerThanCode = Code(rawValue: "newer than code")
        /// The file records an older version than the code's, and the connection is read-only.
        public static let needsUpgrade = Code(rawValue: "needs upgrade")
        /// The code's migration list is malformed (a programming error, refused before any change).
        public static let invalidList = Code(rawValue: "invalid list")
        /// SQLite failed while reading the record or applying a step; nothing was changed.
        public static let failed = Code(rawValue: "failed")
    }

    public var code: Code
    public var message: String
    /// The module concerned, when there is one.
    public var module: String?
    /// The SQLite failure behind a `.failed` error, when there is one.
    public var sqlite: SQLiteError?

    public init(_ code: Code, _ message: String, module: String? = nil, sqlite: SQLiteError? = nil) {
        self.code = code
        self.message = message
        self.module = module
        self.sqlite = sqlite
    }

    public var description: String { message }
}
