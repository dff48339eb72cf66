import KilnCore
import KilnSQLite
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Copies the WAL back into the database file on its own thread and connection, so that the
/// writer never pays for checkpoints (page copies and fsyncs) on the ingest path.
///
/// Passive checkpoints never block the writer or readers. The writer keeps a large automatic
/// checkpoint threshold of its own as a backstop, should this thread ever fall far behind.
final class Checkpointer: Sendable {
    private let connection: Connection
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<JoinableThread?>(nil)
    let interval: Duration

    init(path: String, interval: Duration = .milliseconds(200)) throws(SQLiteError) {
        connection = try Connection(path: path, create: false)
        try connection.execute("PRAGMA busy_timeout = 1000; PRAGMA wal_autocheckpoint = 0")
        self.interval = interval
    }

    func start() {
        let t = JoinableThread()
        let rc = t.start(name: "kiln-checkpoint") { [self] in
            let step = interval.nanoseconds / 1000
            while !stopping.load(ordering: .relaxed) {
                try? connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                var waited: Int64 = 0
                while waited < step, !stopping.load(ordering: .relaxed) {
                    usleep(20_000)
                    waited += 20_000
                }
            }
        }
        if rc == 0 { thread.withLock { $0 = t } }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        thread.withLock { $0?.join() }
        try? connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    }
}
