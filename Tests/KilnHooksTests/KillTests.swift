import Foundation
import KilnAlarms
import KilnHooks
import KilnTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct KillTests {
    /// `kiln-bench`, built beside `kiln`.
    static func bench() throws -> String {
        let path = URL(fileURLWithPath: try Repository.kiln()).deletingLastPathComponent().appendingPathComponent(
            "kiln-bench"
        ).path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw Failure("no built \(path)") }
        return path
    }

    @Test func aSenderKilledWithSIGKILLLosesNothingAndDuplicatesKeepTheirId() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let port = try freePort()
        let log = dir.file("log.jsonl")
        let receiver = try Peer.receiver(
            port: port, log: log, extra: ["--script", Array(repeating: "slow:0.01", count: 400).joined(separator: ",")])
        defer { receiver.stop() }
        let db = dir.file("kiln.sqlite")
        // kiln-bench's outbox mode: fills the outbox (the same 300 events each time: ids are
        // deterministic and the outbox ignores a row it has) and delivers it with the real service.
        let arguments = [
            "hooks-throughput", "--mode", "outbox", "--db", db, "--url", "http://127.0.0.1:\(port)/", "--events", "300",
            "--episodes", "7",
        ]
        let first = try Peer([try Self.bench()] + arguments, readyLine: nil, log: dir.file("first.out"))
        try await waitUntil("deliveries before the kill") { records(log).count >= 40 }
        kill(first.pid, SIGKILL)
        first.process.waitUntilExit()
        #expect(first.process.terminationReason == .uncaughtSignal)
        let outbox = try Outbox(hooks: [], path: db)
        #expect(try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'pending'") ?? 0 > 0)
        let second = try Peer([try Self.bench()] + arguments, readyLine: nil, log: dir.file("second.out"))
        try await waitUntil("the rest delivered", timeout: .seconds(60)) { !second.process.isRunning }
        #expect(second.process.terminationStatus == 0)
        #expect(try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'delivered'") == 300)
        let got = records(log)
        let ids = Set(got.compactMap { $0["id"] as? String })
        #expect(ids.count == 300)
        for record in got {
            #expect(AlarmEvent(json: Array((record["body"] as? String ?? "").utf8))?.id == record["id"] as? String)
        }
    }
}
