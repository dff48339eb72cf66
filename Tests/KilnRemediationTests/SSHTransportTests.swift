import Foundation
import KilnCore
import KilnRemediation
import KilnTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The OpenSSH transport against a real sshd on loopback.
@Suite struct SSHTransportTests {
    func run(_ argv: [String], on host: RemediationHost, id: Int64 = 1, timeout: Duration = .seconds(20)) -> RemoteRun {
        RemoteRun(id: id, host: host, argv: argv, timeout: timeout)
    }

    @Test func aSuccessfulRunCapturesHeadAndTailOfItsOutput() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        try await withTransport(server) { transport, _ in
            // 12,008 bytes of stdout (more than two 4 KiB ends), a line on stderr.
            let script = "printf BEGIN; head -c 12000 /dev/zero | tr '\\000' x; printf END; echo oops >&2"
            let r = await transport.run(run(["/bin/sh", "-c", script], on: host(server)))
            #expect(r.outcome == .succeeded, "\(r.detail ?? "")")
            #expect(r.exitCode == 0)
            #expect(r.fingerprint == server.fingerprint)
            #expect(r.stdout.total == 12_008)
            #expect(r.stdout.head.count == 4096)
            #expect(r.stdout.tail.count == 4096)
            #expect(r.stdout.head.starts(with: Array("BEGINxxx".utf8)))
            #expect(String(decoding: r.stdout.tail.suffix(6), as: UTF8.self) == "xxxEND")
            #expect(r.stdout.isTruncated)
            #expect(r.stderr.head == Array("oops\n".utf8))
            #expect(r.stderr.tail.isEmpty)
            #expect(r.started <= r.ended)
        }
    }

    @Test func aRemoteExitStatusIsAFailureWithItsCode() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        try await withTransport(server) { transport, _ in
            let r = await transport.run(run(["/bin/sh", "-c", "echo half-done; exit 7"], on: host(server)))
            #expect(r.outcome == .failed)
            #expect(r.exitCode == 7)
            #expect(r.stdout.head == Array("half-done\n".utf8))
            #expect(r.detail?.contains("7") == true)
        }
    }

    @Test func aChangedHostKeyIsRefusedAndNothingRuns() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let marker = server.dir.file("ran")
        try await withTransport(server) { transport, _ in
            let changed = host(server, knownHosts: try server.knownHostsWithDifferentKey())
            let r = await transport.run(run(["/usr/bin/touch", marker], on: changed))
            #expect(r.outcome == .refusedHostKey, "\(r.detail ?? "")")
            #expect(r.fingerprint == server.fingerprint)
            #expect(r.exitCode == nil)
            #expect(r.detail?.contains("CHANGED") == true)
            #expect(r.detail?.contains(server.fingerprint) == true)
            #expect(!FileManager.default.fileExists(atPath: marker))

            let unknown = host(server, knownHosts: try server.emptyKnownHosts(), name: "unknown-host")
            let u = await transport.run(run(["/usr/bin/touch", marker], on: unknown))
            #expect(u.outcome == .refusedHostKey, "\(u.detail ?? "")")
            #expect(u.fingerprint == server.fingerprint)
            #expect(u.detail?.contains("unknown") == true)
            #expect(!FileManager.default.fileExists(atPath: marker))

            // The same command under the right key does run: the marker test can fail.
            let ok = await transport.run(run(["/usr/bin/touch", marker], on: host(server)))
            #expect(ok.outcome == .succeeded, "\(ok.detail ?? "")")
            #expect(FileManager.default.fileExists(atPath: marker))
        }
    }

    @Test func aHostThatNeverAnswersTimesOutWhileAnotherHostRuns() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let silentPort = try freePort()
        let peerLog = server.dir.file("silent_peer.log")
        // posix_spawn, not Foundation's Process: the test process ignores SIGTERM, which a child
        // inherits, so only SIGKILL ends it, and Process.waitUntilExit would spin meanwhile.
        let peer = try SSHServer.spawnDaemon(
            ["/usr/bin/python3", testPeer("silent_peer.py"), String(silentPort)], log: peerLog)
        defer {
            kill(peer, SIGKILL)
            var status: Int32 = 0
            waitpid(peer, &status, 0)
        }
        var listening = false
        for _ in 0..<500 where !listening {
            listening = ((try? String(contentsOfFile: peerLog, encoding: .utf8)) ?? "").hasPrefix("ready")
            if !listening { usleep(20_000) }
        }
        try #require(
            listening, "the silent peer did not start: \((try? String(contentsOfFile: peerLog, encoding: .utf8)) ?? "")"
        )
        try await withTransport(server) { transport, _ in
            var silent = host(server, name: "silent")
            silent.port = silentPort
            let timeout = Duration.milliseconds(2500)
            async let hung = transport.run(run(["/bin/true"], on: silent, id: 1, timeout: timeout))
            async let good = transport.run(run(["/bin/echo", "fine"], on: host(server), id: 2))
            let (h, g) = await (hung, good)
            #expect(h.outcome == .timedOut, "\(h.detail ?? "")")
            #expect(h.exitCode == nil)
            #expect(h.ended - h.started >= 2_500_000)
            #expect(g.outcome == .succeeded, "\(g.detail ?? "")")
            #expect(g.stdout.head == Array("fine\n".utf8))
        }
    }

    @Test func hostileValuesArriveAsOneLiteralArgumentEach() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let dir = server.dir
        let recorded = dir.file("argv.json")
        let pwned = dir.file("pwned")
        let values = [
            "device": "dev; touch \(pwned); echo",
            "tag": "$(touch \(pwned))`touch \(pwned)`",
            "alarm": "it's \"quoted\" 'twice'\nand a second line",
            "value": "  spaced  * ?[a] > \(pwned) | cat & ",
            "episode": "-rf --help",
        ]
        let template = [
            "/usr/bin/python3", testPeer("argv_recorder.py"), recorded, "{device}", "{tag}", "{alarm}", "{value}",
            "{episode}", "pre-{device}-{{literal}}", "",
        ]
        let argv = try CommandTemplate.render(template, values: values)
        try await withTransport(server) { transport, _ in
            let r = await transport.run(run(argv, on: host(server)))
            #expect(r.outcome == .succeeded, "\(r.detail ?? "") \(r.stderr.text)")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: recorded))
        let arrived = try JSONDecoder().decode([String].self, from: data)
        #expect(arrived == Array(argv.dropFirst(3)))
        #expect(arrived.count == 7)
        #expect(arrived[0] == "dev; touch \(pwned); echo")
        #expect(arrived[4] == "-rf --help")
        #expect(arrived[5] == "pre-dev; touch \(pwned); echo-{literal}")
        #expect(arrived[6] == "")
        #expect(!FileManager.default.fileExists(atPath: pwned))
    }
}
