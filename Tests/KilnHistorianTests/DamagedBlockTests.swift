import Foundation
import KilnCore
import KilnTestSupport
import Testing

@testable import KilnHistorian

/// A damaged compacted block makes `kiln export` fail with a message naming the tag and the hour,
/// never drop its points with exit 0.
struct DamagedBlockTests {
    @Test func aNullTimeColumnAMissingOneOrBadBytesFailTheExport() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("d.db")
        let batches = (0..<720).map { k in [sample(0, jan1 + Int64(k) * 10 * second, .double(Double(k) / 4))] }
        try writeThroughWriter(db, batches: batches, clock: RunClock(start: jan1, stop: jan1 + 4 * hour))
        let store = try SQLiteStore(path: db)
        let report = try store.maintain(
            now: jan1 + 4 * hour, policy: RetentionPolicy(rawWindow: hour, retention: nil), budget: .seconds(60))
        #expect(report.blocksWritten == 2)
        let timecol = try #require(try store.connection.scalar("SELECT times FROM blocks WHERE start = \(jan1)"))
        let data = try #require(try store.connection.text("SELECT hex(data) FROM blocks WHERE start = \(jan1)"))

        let kiln = try kilnBinary()
        let ranges = [
            "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-01T03:00:00Z", "--tag", "boiler-1/supply_temp",
        ]
        let healthy = try runTool([kiln, "export", "--db", db] + ranges)
        #expect(healthy.status == 0, Comment(rawValue: healthy.err))
        #expect(healthy.out.split(separator: "\r\n").count == 1 + 720)

        let damages = [
            "UPDATE blocks SET times = NULL WHERE start = \(jan1)",
            "UPDATE blocks SET times = 999999 WHERE start = \(jan1)",
            "UPDATE blocks SET data = X'01FF' WHERE start = \(jan1)",
            "UPDATE blocks SET count = count + 1 WHERE start = \(jan1)",
        ]
        let repair = "UPDATE blocks SET times = \(timecol), data = X'\(data)', count = 360 WHERE start = \(jan1)"
        for damage in damages {
            #expect(try runTool(["sqlite3", db, damage]).status == 0)
            for extra in [[], ["--every", "10m", "--agg", "avg"]] {
                let result = try runTool([kiln, "export", "--db", db] + ranges + extra)
                #expect(result.status == 1, "\(damage) \(extra): exit \(result.status)")
                #expect(
                    result.err.contains("boiler-1/supply_temp: the compacted block from 2026-01-01T00:00:00")
                        && result.err.contains("is damaged"),
                    "\(damage): \(result.err)")
            }
            #expect(try runTool(["sqlite3", db, repair]).status == 0)
            #expect(try runTool([kiln, "export", "--db", db] + ranges).status == 0, "repaired after \(damage)")
        }
    }
}
