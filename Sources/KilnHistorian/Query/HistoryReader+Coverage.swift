/// One row of the `runs` table: when a gateway run wrote the file.
public struct RunRecord: Sendable, Hashable {
    public var id: Int64
    /// Wall-clock time the writer started, µs since the epoch.
    public var start: Int64
    /// When it stopped (a clean stop), or its last committed sample (closed at the next start
    /// after a crash); nil while it runs, or until the next start closes it.
    public var end: Int64?
    /// Its first and last committed sample times; nil before its first commit.
    public var first: Int64?
    public var last: Int64?
    /// `stop` (a clean stop), `crash` (closed at the next start), `migrated` (the history written
    /// before schema 3), nil while open.
    public var ended: String?

    /// The time the run covers: from its start to its end (or, while it is open, to its last
    /// committed sample), and the span of the samples it committed, when those carry other times
    /// than the clock's (an import or a benchmark with times in the past): a run never covers
    /// time after its last sample merely because it stopped later on the wall clock.
    public var covered: [Range<Int64>] {
        var out = [start..<max(start, end ?? last ?? start)]
        if let first, let last, first < last { out.append(first..<last) }
        return out
    }
}

extension HistoryReader {
    /// Every run, oldest first.
    public func runs() throws(HistorianError) -> [RunRecord] {
        do {
            let s = try connection.prepare(#"SELECT id, start, "end", first, last, ended FROM runs ORDER BY start, id"#)
            var out: [RunRecord] = []
            while try s.step() {
                out.append(
                    RunRecord(
                        id: s.int64(0), start: s.int64(1), end: s.isNull(2) ? nil : s.int64(2),
                        first: s.isNull(3) ? nil : s.int64(3), last: s.isNull(4) ? nil : s.int64(4),
                        ended: s.string(5)))
            }
            return out
        } catch {
            throw HistorianError(error)
        }
    }

    /// The time the file covers: every run, less the gaps the writer recorded.
    public func coverage() throws(HistorianError) -> Coverage {
        let covered = try runs().flatMap(\.covered)
        do {
            let s = try connection.prepare(#"SELECT start, "end" FROM gaps"#)
            var lost: [Range<Int64>] = []
            while try s.step() {
                let start = s.int64(0)
                lost.append(start..<max(start, s.int64(1)))
            }
            return Coverage(covered: covered, lost: lost)
        } catch {
            throw HistorianError(error)
        }
    }
}
