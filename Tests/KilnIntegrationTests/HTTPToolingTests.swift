import Foundation
import KilnTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The API against the tools an operator's stack brings: promtool and a real Prometheus on
/// `/metrics`, schemathesis on the OpenAPI document, systemd's readiness.
@Suite struct HTTPToolingTests {
    /// Must show: `/metrics` parses with `promtool check metrics`, and a real Prometheus
    /// (Debian `prometheus`) scrapes it with the bearer token: its API reports `up == 1`.
    @Test func prometheusScrapesTheMetricsEndpoint() async throws {
        let http = try HTTPRig()
        defer { http.cleanup() }
        try await http.write()
        let gateway = try await http.start()

        let metrics = try await http.get("/metrics")
        #expect(metrics.status == 200, "\(metrics)")
        for family in [
            "kiln_poll_requests_total", "kiln_alarms", "kiln_historian_rows_total", "kiln_poll_discarded_frames_total",
            "kiln_sink_queue_depth",
        ] {
            #expect(metrics.body.contains(family), "\(family) missing")
        }
        let checked = try await promtoolCheckMetrics(metrics.body)
        #expect(checked.status == 0, "promtool: \(checked.stdout)\(checked.stderr)")

        let prometheus = try RigTool.require("/usr/bin/prometheus", package: "prometheus")
        let port = try Loopback.unusedPort()
        let config = http.rig.file("prometheus.yml")
        // Prometheus sends the whole credentials file: the token alone, not Kiln's token file.
        let credentials = http.rig.file("prometheus.token")
        try http.token.write(toFile: credentials, atomically: false, encoding: .utf8)
        try """
        global:
          scrape_interval: 1s
        scrape_configs:
          - job_name: kiln
            scrape_interval: 1s
            authorization:
              type: Bearer
              credentials_file: \(credentials)
            static_configs:
              - targets: ["127.0.0.1:\(http.port)"]
        """.write(toFile: config, atomically: false, encoding: .utf8)
        let server = try ChildProcess([
            prometheus, "--config.file=\(config)", "--storage.tsdb.path=\(http.rig.file("tsdb"))",
            "--web.listen-address=127.0.0.1:\(port)",
        ])
        defer { server.stop() }
        let curl = try RigTool.require("/usr/bin/curl", package: "curl")
        var last = ""
        func targets() -> String {
            (try? String(contentsOfFile: http.rig.file("targets.json"), encoding: .utf8)) ?? ""
        }
        try await eventually("Prometheus reports up == 1 for job kiln", detail: { "\(last)\n\(targets())" }) {
            if server.wait(timeout: .zero) != nil { throw RigFailure("prometheus exited: \(server.stderr.text)") }
            let answer = try? await runTool([
                curl, "-sS", "--max-time", "5", "-G", "http://127.0.0.1:\(port)/api/v1/query",
                "--data-urlencode", #"query=up{job="kiln"}"#,
            ])
            last = answer ?? ""
            _ = try? await runTool([
                curl, "-sS", "--max-time", "5", "-o", http.rig.file("targets.json"),
                "http://127.0.0.1:\(port)/api/v1/targets",
            ])
            guard let answer,
                let json = try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any],
                let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]],
                let value = result.first?["value"] as? [Any]
            else { return false }
            return value.last as? String == "1"
        }
        // And it stored a Kiln series, not only `up`.
        let series = try await runTool([
            curl, "-sS", "--max-time", "5", "-G", "http://127.0.0.1:\(port)/api/v1/query",
            "--data-urlencode", "query=kiln_poll_requests_total",
        ])
        #expect(series.contains("\"kiln_poll_requests_total\""), "\(series)")
        gateway.signal(SIGTERM)
        #expect(try await gateway.exited() == .exited(0), Comment(rawValue: gateway.stderr.text))
    }

    /// The OpenAPI document matches the routes: schemathesis (PyPI) runs every check it has
    /// against the running server, with the token (the exceptions, and why, are in
    /// Support/schemathesis.toml).
    @Test func schemathesisFindsNoMismatchAgainstTheOpenAPIDocument() async throws {
        let schemathesis = try Self.schemathesis()
        let http = try HTTPRig()
        defer { http.cleanup() }
        try await http.write()
        let gateway = try await http.start()

        // The document needs the token like every API route: fetch it, hand schemathesis the file.
        let document = try await http.get("/api/v1/openapi.json")
        #expect(document.status == 200)
        let schema = http.rig.file("openapi.json")
        try document.body.write(toFile: schema, atomically: false, encoding: .utf8)
        let run = try await runProgram(
            schemathesis,
            [
                "--config-file", Repository.root + "/Tests/KilnIntegrationTests/Support/schemathesis.toml", "run",
                schema, "--url", http.base, "-H", "Authorization: Bearer \(http.token)",
                "--max-examples", "25", "--workers", "1", "--no-color", "--seed", "14",
            ], environment: ["HOME": http.rig.dir, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"],
            timeout: .seconds(900))
        #expect(run.status == 0, "schemathesis:\n\(run.stdout)\n\(run.stderr)")
        #expect(gateway.wait(timeout: .zero) == nil, "kiln run ended: \(gateway.stderr.text)")
        gateway.signal(SIGTERM)
        #expect(try await gateway.exited() == .exited(0), Comment(rawValue: gateway.stderr.text))
    }

    static func schemathesis() throws -> String {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        for dir in dirs + ["/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/schemathesis") {
            return "\(dir)/schemathesis"
        }
        throw RigFailure("schemathesis is missing: run tools/setup.sh --tests (pip schemathesis>=4.3,<5)")
    }

    /// systemd hears READY=1 only once the HTTP server listens: at READY=1 the API answers.
    @Test func readyIsSentOnlyOnceTheServerListens() async throws {
        let http = try HTTPRig()
        defer { http.cleanup() }
        try await http.write()
        let sim = try await http.rig.simulator()
        defer { sim.stop() }
        let socket = try NotifySocket(name: http.rig.file("notify.sock"))
        defer { socket.close() }
        let gateway = try ChildProcess([
            "/bin/sh", "-c", "NOTIFY_SOCKET=\(socket.name) exec \"$0\" \"$@\"", try Repository.kiln(), "run",
            http.rig.config, "--quiet",
        ])
        defer { _ = gateway.stop() }
        let ready = socket.waitFor("READY=1", timeout: .seconds(120))
        try #require(ready != nil, Comment(rawValue: gateway.stderr.text))
        // No waiting: the socket already listens.
        let fd = try Loopback.connect(port: http.port)
        close(fd)
        #expect(try await http.request("/healthz").status == 200)
        gateway.signal(SIGTERM)
        #expect(try await gateway.exited() == .exited(0), Comment(rawValue: gateway.stderr.text))
    }
}
