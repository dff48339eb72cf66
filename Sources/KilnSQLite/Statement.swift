import CSQLite

/// A prepared statement, compiled once and run many times: the ingest hot path binds values to
/// it directly.
///
/// `@unchecked Sendable` for the same reason as `Connection`: used by one thread at a time.
public final class Statement: @unchecked Sendable {
    /// SQLite's storage classes: what a column holds in the current row.
    public enum ColumnType: Int32, Sendable {
        case integer = 1  // SQLITE_INTEGER
        case float = 2  // SQLITE_FLOAT
        case text = 3  // SQLITE_TEXT
        case blob = 4  // SQLITE_BLOB
        case null = 5  // SQLITE_NULL
    }

    @usableFromInline let handle: OpaquePointer
    /// Keeps the connection open while the statement lives.
    @usableFromInline let connection: Connection
    @usableFromInline let sql: String

    init(connection: Connection, sql: String) throws(SQLiteError) {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw connection.error(rc, "preparing \(sql)")
        }
        self.handle = statement
        self.connection = connection
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // MARK: - Binding (1-based indices, as in SQL)

    @inlinable public func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    @inlinable public func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(handle, index, value)
    }

    @inlinable public func bind(_ index: Int32, _ value: String) {
        var text = value
        text.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) {
                kiln_sqlite3_bind_text_transient(handle, index, $0.baseAddress, Int32($0.count))
            }
        }
    }

    @inlinable public func bind(_ index: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            // A zero-length blob needs a non-nil pointer, else SQLite stores NULL.
            var empty: UInt8 = 0
            let base = buffer.baseAddress ?? withUnsafePointer(to: &empty) { UnsafeRawPointer($0) }
            _ = kiln_sqlite3_bind_blob_transient(handle, index, base, Int32(buffer.count))
        }
    }

    @inlinable public func bindNull(_ index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    public func bind(_ index: Int32, _ value: String?) {
        if let value { bind(index, value) } else { bindNull(index) }
    }

    public func bind(_ index: Int32, _ value: Int64?) {
        if let value { bind(index, value) } else { bindNull(index) }
    }

    public func bind(_ index: Int32, _ value: Double?) {
        if let value { bind(index, value) } else { bindNull(index) }
    }

    // MARK: - Running

    /// Runs one step. Returns true when a row is available, false when done.
    @inlinable @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw connection.error(rc, "running \(sql)")
    }

    /// Runs a statement that returns no row, then resets it for the next run.
    @inlinable
    public func run() throws(SQLiteError) {
        let rc = sqlite3_step(handle)
        if rc != SQLITE_DONE && rc != SQLITE_ROW {
            let error = connection.error(rc, "running \(sql)")
            sqlite3_reset(handle)
            throw error
        }
        sqlite3_reset(handle)
    }

    /// Makes the statement ready to run again (bindings are kept).
    @inlinable public func reset() {
        sqlite3_reset(handle)
    }

    public func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    // MARK: - Columns (0-based)

    /// The storage class of the column's value in the current row.
    @inlinable public func type(_ column: Int32) -> ColumnType {
        ColumnType(rawValue: sqlite3_column_type(handle, column)) ?? .null
    }

    @inlinable public func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    @inlinable public func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    @inlinable public func double(_ column: Int32) -> Double {
        sqlite3_column_double(handle, column)
    }

    @inlinable
    public func string(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column's bytes, valid until the next step or reset.
    @inlinable
    public func withBlob<R, E: Error>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let base = sqlite3_column_blob(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        return try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// The column's UTF-8 bytes, valid until the next step or reset.
    @inlinable
    public func withText<R, E: Error>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E)
        -> R
    {
        let base = sqlite3_column_text(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        return try body(UnsafeBufferPointer(start: base, count: count))
    }
}
