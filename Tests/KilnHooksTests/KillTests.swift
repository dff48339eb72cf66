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
        // 40 answers, then one that hangs for ten minutes, then answers for everything else: the
        // first sender is stuck with 40 delivered but not yet marked, whatever the machine's load.
        let script = Array(repeating: "ok", count: 40) + ["slow:600"]
        let receiver = try await Peer.receiver(
            port: port, log: log, extra: ["--script", script.joined(separator: ",")])
        defer { receiver.stop() }
        let db = dir.file("kiln.sqlite")
        // kiln-bench's outbox mode: fills the outbox (the same 300 events each time: ids are
        // deterministic and the outbox ignores a row it has) and delivers it with the real service.
        let arguments = [
            "hooks-throughput", "--mode", "outbox", "--db", db, "--url", "http://127.0.0.1:\(port)/", "--events", "300",
            "--episodes", "7", "--timeout", "900s",
        ]
        let first = try Peer([try Self.bench()] + arguments, log: dir.file("first.out"))
        try await waitUntil("the hanging request") { records(log).count >= 41 }
        kill(first.pid, SIGKILL)
        #expect(try await first.exit().signaled)
        let outbox = try Outbox(hooks: [], path: db)
        #expect(try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'delivered'") == 0)
        let second = try Peer([try Self.bench()] + arguments, log: dir.file("second.out"))
        #expect(try await second.exit().status == 0)
        #expect(try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'delivered'") == 300)
        let got = records(log)
        let ids = Set(got.compactMap { $0["id"] as? String })
        #expect(ids.count == 300)
        // The 41 the killed sender sent (40 answered, 1 hung) came again: duplicates, same ids.
        #expect(got.count == 341)
        for record in got {
            #expect(AlarmEvent(json: Array((record["body"] as? String ?? "").utf8))?.id == record["id"] as? String)
        }
    }
}
