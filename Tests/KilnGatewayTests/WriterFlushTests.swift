import Foundation
import KilnCore
import KilnHistorian
import KilnTestSupport
import Testing

/// The historian writer's flush runs by its injected clock.
struct WriterFlushTests {
    func writer(_ dir: TempDir, clock: ManualClock) throws -> HistorianWriter {
        let config = GatewayConfig(
            path: dir.file("kiln.yaml"), devices: [device("boiler", tags: [tag("supply"), tag("return", address: 2)])])
        let writer = try HistorianWriter(
            config: config, historian: HistorianConfig(path: dir.file("history.db"), flush: .seconds(3600)),
            logger: quietLogger, clock: clock)
        try writer.start()
        return writer
    }

    func batch(at time: Int64) -> [Sample] {
        (0..<2).map { Sample(device: 0, tag: $0, value: .double(1), raw: .double(1), status: .good, timestamp: time) }
    }

    @Test func rowsAreCommittedWhenTheClockReachesTheFlushAndNotBefore() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let clock = ManualClock()
        let writer = try writer(dir, clock: clock)
        writer.submit(batch(at: clock.now.microseconds))
        #expect(eventually { writer.queued == 0 })
        clock.advance(by: .seconds(3599))
        writer.wake()
        usleep(50_000)
        #expect(writer.statistics.commits == 0, "59m59s of a 1h flush")

        clock.advance(by: .seconds(1))
        writer.wake()
        #expect(eventually { writer.statistics.commits == 1 })
        #expect(writer.statistics.rowsWritten == 2)
        writer.stop()
        #expect(try runTool(["sqlite3", dir.file("history.db"), "SELECT count(*) FROM samples"]).out == "2\n")
    }

    /// A wall clock set back must not hold rows back for as long as it stepped.
    @Test func aClockSetBackCommitsAtOnce() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let clock = ManualClock()
        let writer = try writer(dir, clock: clock)
        writer.submit(batch(at: clock.now.microseconds))
        #expect(eventually { writer.queued == 0 })
        clock.set(to: clock.now.advanced(by: .seconds(-60)))
        writer.wake()
        #expect(eventually { writer.statistics.commits == 1 })
        writer.stop()
    }
}
