import KilnCore
import KilnSQLite

extension SQLiteStore {
    public func openRun(now: Int64) throws(HistorianError) -> [RunRecord] {
        let (id, closed) = try immediateTransaction {
            let open = try connection.prepare(
                #"SELECT id, start, first, last FROM runs WHERE "end" IS NULL ORDER BY id"#)
            var closed: [RunRecord] = []
            while try open.step() {
                let start = open.int64(1)
                let first = open.isNull(2) ? nil : open.int64(2)
                let last = open.isNull(3) ? nil : open.int64(3)
                // Nothing after the last commit was stored: the run covers no further.
                closed.append(
                    RunRecord(
                        id: open.int64(0), start: start, end: last ?? start, first: first, last: last, ended: "crash"))
            }
            let close = try connection.prepare(#"UPDATE runs SET "end" = ?2, ended = 'crash' WHERE id = ?1"#)
            let gap = try connection.prepare(#"INSERT INTO gaps (start, "end", lost, reason) VALUES (?1, ?2, -1, ?3)"#)
            for run in closed {
                let end = run.end!
                close.bind(1, run.id)
                close.bind(2, end)
                try close.run()
                gap.bind(1, end)
                gap.bind(2, max(end, now))
                gap.bind(
                    3,
                    "the run started \(Timestamp.rfc3339(micros: run.start)) did not stop cleanly (killed, crashed, "
                        + "power lost, or the disk stayed full until shutdown): nothing after its last committed "
                        + "sample was stored; closed at the next start, samples lost unknown")
                try gap.run()
            }
            let insert = try connection.prepare("INSERT INTO runs (start) VALUES (?1) RETURNING id")
            insert.bind(1, now)
            guard try insert.step() else { throw HistorianError("opening a run: no id returned") }
            let id = insert.int64(0)
            insert.reset()
            return (id, closed)
        }
        do {
            let update = try connection.prepare(
                "UPDATE runs SET first = min(coalesce(first, ?2), ?2), last = max(coalesce(last, ?3), ?3) WHERE id = ?1"
            )
            run = (id, update)
        } catch {
            throw HistorianError(error)
        }
        return closed
    }

    public func closeRun(now: Int64) throws(SQLiteError) {
        guard let run else { return }
        let close = try connection.prepare(
            #"UPDATE runs SET "end" = max(?2, coalesce(last, ?2)), ended = 'stop' WHERE id = ?1"#)
        close.bind(1, run.id)
        close.bind(2, now)
        try close.run()
        self.run = nil
    }
}
