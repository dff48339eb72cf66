import Foundation
import KilnCore
import KilnRemediation
import KilnTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Connection multiplexing: later runs go over the first run's master, and a dead or closed
/// master only costs a fresh connection.
@Suite struct SSHMultiplexTests {
    func echo(_ word: String, _ h: RemediationHost, timeout: Duration = .seconds(60)) -> RemoteRun {
        RemoteRun(id: 1, host: h, argv: ["/bin/echo", word], timeout: timeout)
    }

    @Test func theSecondRunIsMultiplexedAndSurvivesAKilledMasterAndShutdown() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let h = host(server)
        try await withTransport(server) { transport, folder in
            let first = await transport.run(echo("one", h))
            #expect(first.outcome == .succeeded, "\(first.detail ?? "")")
            #expect(!first.multiplexed)
            #expect(first.fingerprint == server.fingerprint)

            let second = await transport.run(echo("two", h))
            #expect(second.outcome == .succeeded, "\(second.detail ?? "")")
            #expect(second.multiplexed)
            #expect(second.fingerprint == server.fingerprint)
            #expect(second.stdout.head == Array("two\n".utf8))

            // SIGKILL the master: its socket stays behind, stale.
            let socket = SSHControlDirectory.socketPath(directory: folder, host: h)
            let pid = try #require(masterPID(socket: socket, host: h))
            kill(pid, SIGKILL)
            #expect(FileManager.default.fileExists(atPath: socket))
            let afterKill = await transport.run(echo("three", h))
            #expect(afterKill.outcome == .succeeded, "\(afterKill.detail ?? "")")
            #expect(!afterKill.multiplexed)
            #expect(afterKill.fingerprint == server.fingerprint)
            let again = await transport.run(echo("four", h))
            #expect(again.multiplexed)

            await transport.shutdown()
            #expect(!FileManager.default.fileExists(atPath: socket))
            let afterShutdown = await transport.run(echo("five", h))
            #expect(afterShutdown.outcome == .succeeded, "\(afterShutdown.detail ?? "")")
            #expect(!afterShutdown.multiplexed)
            #expect(afterShutdown.stdout.head == Array("five\n".utf8))
        }
    }

    @Test func aTimeoutOnTheFirstRunKillsTheRunButNotTheMaster() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let h = host(server)
        try await withTransport(server) { transport, _ in
            let hung = await transport.run(
                RemoteRun(id: 1, host: h, argv: ["/bin/sleep", "30"], timeout: .seconds(4)))
            #expect(hung.outcome == .timedOut, "\(hung.detail ?? "")")
            #expect(hung.fingerprint == server.fingerprint)
            let next = await transport.run(echo("after", h))
            #expect(next.outcome == .succeeded, "\(next.detail ?? "")")
            #expect(next.multiplexed)
        }
    }

    @Test func aMasterLeftByAnEarlierProcessIsReplaced() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let h = host(server)
        let folder = controlFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let earlier = try SSHTransport(controlDirectory: folder)
        let a = await earlier.run(echo("a", h))
        #expect(a.outcome == .succeeded, "\(a.detail ?? "")")
        // A new transport (Kiln restarted) never saw that master's key exchange: it closes it
        // and connects afresh, so the fingerprint it reports is one it saw itself.
        let later = try SSHTransport(controlDirectory: folder)
        let b = await later.run(echo("b", h))
        #expect(b.outcome == .succeeded, "\(b.detail ?? "")")
        #expect(!b.multiplexed)
        #expect(b.fingerprint == server.fingerprint)
        await later.shutdown()
        await earlier.shutdown()
    }
}
