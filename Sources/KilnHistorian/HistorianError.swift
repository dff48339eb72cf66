import KilnSQLite

/// A historian failure, saying what failed and what to do.
public struct HistorianError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The SQLite failure behind it, when there is one.
    public var sqlite: SQLiteError?

    public init(_ message: String, sqlite: SQLiteError? = nil) {
        self.message = message
        self.sqlite = sqlite
    }

    init(_ error: SQLiteError) {
        self.message = error.description
        self.sqlite = error
    }

    public var description: String { message }
}
