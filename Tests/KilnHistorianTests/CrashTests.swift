import Foundation
import KilnCore
import KilnTestSupport
import Testing

@testable import KilnHistorian

/// kill -9 of a real `kiln` process in the middle of heavy ingest.
struct CrashTests {
    /// Lines a child prints, each with the monotonic time it was read.
    final class LineLog: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [(at: Date, text: String)] = []
        private var partial = ""

        func feed(_ data: Data, at date: Date) {
            lock.withLock {
                partial += String(decoding: data, as: UTF8.self)
                while let newline = partial.firstIndex(of: "\n") {
                    lines.append((date, String(partial[..<newline])))
                    partial = String(partial[partial.index(after: newline)...])
                }
            }
        }

        var all: [(at: Date, text: String)] { lock.withLock { lines } }

        func value(_ name: String) -> Int64? {
            all.last { $0.text.hasPrefix(name + " ") }.flatMap { Int64($0.text.split(separator: " ")[1]) }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func killNineMidIngestLeavesAnIntactFileAndLosesAtMostOneFlushInterval() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("crash.db")
        let tags = 100
        let rate = 100_000
        let periodMicros = Int64(tags) * 1_000_000 / Int64(rate)  // data time runs at wall speed
        let flush = 1.0

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try kilnBenchBinary())
        process.arguments = [
            "historian", "ingest", "--db", db, "--tags", "\(tags)", "--points", "0", "--rate", "\(rate)",
            "--flush", "1s", "--period", "\(periodMicros / 1000)ms", "--batch-rows", "1000000",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let log = LineLog()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { log.feed(data, at: Date()) }
        }
        try process.run()
        // Let it ingest for a while: several commits have landed and one is being gathered.
        let started = Date()
        while Date().timeIntervalSince(started) < 4.5 { usleep(50_000) }
        kill(process.processIdentifier, SIGKILL)
        let killedAt = Date()
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
        #expect(process.terminationReason == .uncaughtSignal)

        let t0 = try #require(log.value("ingest_start_us"), "the child never started ingesting")
        // The data time submitted by `killedAt - flush - 0.5 s` (margin for the commit itself).
        let mustHave = log.all.last {
            $0.text.hasPrefix("ingest_submitted_through_us ") && $0.at <= killedAt.addingTimeInterval(-flush - 0.5)
        }
        let mustHaveTime = try #require(mustHave.flatMap { Int64($0.text.split(separator: " ")[1]) })
        let lastSubmitted = try #require(log.value("ingest_submitted_through_us"))

        // 1. The file is intact, for SQLite and for the sqlite3 tool.
        let check = try runTool(["sqlite3", db, "PRAGMA integrity_check;"])
        #expect(check.out == "ok\n", Comment(rawValue: check.err))
        let reader = try HistoryReader(path: db)
        #expect(try reader.connection.text("PRAGMA integrity_check") == "ok")

        // 2. Nothing older than the last commit is missing: every tag's rows are contiguous.
        let perTag = try reader.connection.prepare(
            "SELECT tag, count(*), min(time), max(time) FROM samples GROUP BY tag")
        var maxima: [Int64] = []
        while try perTag.step() {
            let count = perTag.int64(1)
            #expect(perTag.int64(2) == t0)
            let maxTime = perTag.int64(3)
            #expect(count == (maxTime - t0) / periodMicros + 1, "tag \(perTag.int64(0)) has holes")
            maxima.append(maxTime)
        }
        #expect(maxima.count == tags)
        let stored = try #require(maxima.max())
        // A flush commits every 4,096 rows (whole tags each: WriterLoop.chunkRows), so a kill in
        // the middle of one leaves some tags one flush's worth of data ahead of the others, never
        // two. A flush that a loaded machine starts late gathers more than its interval (1,167 ms
        // seen in CI): half an interval of slack, well short of two flushes apart.
        #expect(
            (maxima.max()! - maxima.min()!) <= Int64(flush * 1.5 * 1_000_000) + periodMicros,
            "tags apart by more than one flush")

        // 3. At most the last uncommitted batch is lost: everything submitted more than one flush
        //    interval before the kill is stored.
        #expect(stored >= mustHaveTime, "lost data submitted more than \(flush)s before the kill")
        let lostSeconds = Double(lastSubmitted - stored) / 1e6
        #expect(lostSeconds <= flush + 0.5, "lost \(lostSeconds)s of data")
        #expect(stored > t0 + 1_000_000, "at least one commit landed")
    }
}
