import CSQLite
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Process-wide SQLite settings.
public enum SQLiteLibrary {
    /// Turns off SQLite's memory statistics, which take a global mutex on every allocation (Kiln
    /// never reads them). Takes effect only before SQLite initializes, i.e. before the first
    /// connection opens; a later call does nothing.
    public static func disableMemoryStatistics() {
        _ = kiln_sqlite3_disable_memstatus()
    }
}

/// One SQLite connection.
///
/// `@unchecked Sendable`: SQLite is built thread-safe (serialized) on Debian, but Kiln also never
/// shares a connection between threads at the same time: the writer's connection lives on the
/// writer thread, and each reader (export, queries) opens its own. Sendability only lets a
/// connection be created on one thread and handed to the one that uses it.
public final class Connection: @unchecked Sendable {
    @usableFromInline let handle: OpaquePointer
    public let path: String

    /// Opens (or, with `create`, creates) the database at `path`.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - readOnly: open for reading only; the file must exist.
    ///   - create: create the file when missing (ignored with `readOnly`).
    public init(path: String, readOnly: Bool = false, create: Bool = true) throws(SQLiteError) {
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX
        if readOnly {
            flags |= SQLITE_OPEN_READONLY
        } else {
            flags |= SQLITE_OPEN_READWRITE
            if create { flags |= SQLITE_OPEN_CREATE }
        }
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: message, context: "opening \(path)")
        }
        sqlite3_extended_result_codes(db, 1)
        handle = db
        self.path = path
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String, context: @autoclosure () -> String? = nil) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(message)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: text, context: context() ?? sql)
        }
    }

    /// Compiles `sql` once, for repeated use.
    public func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        try Statement(connection: self, sql: sql)
    }

    /// The first column of the first row of `sql`, as an integer (nil when NULL or no row).
    public func scalar(_ sql: String) throws(SQLiteError) -> Int64? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.int64(0)
    }

    /// The first column of the first row of `sql`, as text.
    public func text(_ sql: String) throws(SQLiteError) -> String? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.string(0)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// Whether a transaction is open.
    public var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    @usableFromInline
    func error(_ rc: Int32, _ context: String) -> SQLiteError {
        SQLiteError(
            code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)), context: context)
    }
}

// MARK: - Writers in a hurry

/// When a connection of ``Connection/waitForLocksUrgently(timeout:)`` last found the file's
/// write lock taken (monotonic ns); 0 when none ever did.
private let urgentWaiterPolled = Atomic<Int64>(0)

private func monotonicNanoseconds() -> Int64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
}

extension Connection {
    /// Waits for a lock another connection holds by polling every 100 µs, for at most `timeout`,
    /// instead of SQLite's busy_timeout (which sleeps 1, 2, 5 … 25, 50, 100 ms between tries, so
    /// a writer can find the lock free tens of milliseconds after it was released); and tells
    /// writers of long transactions that it waits (``yieldToUrgentWriters(atMost:)``). For the
    /// alarm engine's and the hooks' connections, whose commits are on the sample → webhook path.
    /// Replaces any `PRAGMA busy_timeout` set before (a later one replaces this).
    public func waitForLocksUrgently(timeout: Duration = .seconds(5)) {
        let tries = max(1, Int(timeout / .microseconds(100)))
        sqlite3_busy_handler(
            handle,
            { limit, count in
                guard Int(count) < Int(bitPattern: limit) else { return 0 }
                urgentWaiterPolled.store(monotonicNanoseconds(), ordering: .relaxed)
                usleep(100)
                return 1
            }, UnsafeMutableRawPointer(bitPattern: tries))
    }

    /// Between the parts of a long write (the historian's flush), waits while a connection of
    /// ``waitForLocksUrgently(timeout:)`` is waiting for the lock (it polled within the last
    /// 2 ms), for at most `atMost`: that writer takes the lock in the gap instead of after the
    /// whole flush. Returns at once when none waits.
    public static func yieldToUrgentWriters(atMost: Duration = .milliseconds(20)) {
        let start = monotonicNanoseconds()
        let limit = atMost.components.seconds * 1_000_000_000 + atMost.components.attoseconds / 1_000_000_000
        while true {
            let now = monotonicNanoseconds()
            guard now - urgentWaiterPolled.load(ordering: .relaxed) < 2_000_000, now - start < limit else { return }
            usleep(200)
        }
    }
}
