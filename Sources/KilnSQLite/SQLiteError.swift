import CSQLite

/// A failed SQLite call: its result code, SQLite's message and what Kiln was doing.
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The (extended) SQLite result code, `SQLITE_FULL`, `SQLITE_CORRUPT`, ….
    public var code: Int32
    public var message: String
    /// What Kiln was doing: `opening /var/lib/kiln/history.db`, `inserting samples`, ….
    public var context: String

    /// Result codes Kiln raises itself (SQLite's numbers, so they read like SQLite's own).
    public enum Code {
        /// `SQLITE_INTERNAL`: SQLite (or Kiln around it) did not do what it must.
        public static let `internal` = SQLITE_INTERNAL
        /// `SQLITE_CORRUPT`: stored data does not decode.
        public static let corrupt = SQLITE_CORRUPT
        /// `SQLITE_FULL`: the disk or the database's size limit is full.
        public static let full = SQLITE_FULL
    }

    public init(code: Int32, message: String, context: String) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// The primary result code (the low byte of an extended code).
    public var primaryCode: Int32 { code & 0xFF }

    /// The disk (or the database's size limit) is full: nothing more can be written until space
    /// returns. SQLite reports ENOSPC as SQLITE_FULL, or as an I/O error on some paths.
    public var isStorageFull: Bool {
        primaryCode == SQLITE_FULL || (primaryCode == SQLITE_IOERR && message.contains("No space"))
    }

    /// Writing failed for a reason that may go away (full disk, I/O error, a lock).
    public var isTransient: Bool {
        isStorageFull || primaryCode == SQLITE_IOERR || primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED
    }

    public var description: String {
        var text = "\(context): \(message) (SQLite code \(code))"
        if isStorageFull { text += "; free disk space: writing resumes by itself when space returns" }
        return text
    }
}
