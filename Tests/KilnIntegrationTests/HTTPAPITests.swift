import Foundation
import KilnCore
import KilnTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 14's HTTP API through the real binaries: `kiln simulate` plays an oven whose `high`
/// alarm fires and clears, `kiln run` polls it with a historian and `http:`, and curl is the
/// client.
@Suite struct HTTPAPITests {
    static let protected = [
        "/metrics", "/api/v1/status", "/api/v1/tags", "/api/v1/tags/oven-1/temp/history",
        "/api/v1/export?from=-1h", "/api/v1/alarms", "/api/v1/remediations", "/api/v1/openapi.json",
    ]
    static let protectedPosts = [
        "/api/v1/alarms/oven-1%2Ftemp%2Fhigh/ack", "/api/v1/alarms/oven-1%2Ftemp%2Fhigh/shelve",
        "/api/v1/alarms/oven-1%2Ftemp%2Fhigh/unshelve", "/api/v1/remediations/1/approve",
        "/api/v1/remediations/1/reject",
    ]

    /// Every route with its contract's shape; every route but health and the page refuses a
    /// missing or wrong token with 401 and `WWW-Authenticate: Bearer`.
    @Test func everyRouteAnswersWithItsShapeAndOnlyHealthAndThePageNeedNoToken() async throws {
        let http = try HTTPRig()
        defer { http.cleanup() }
        try await http.write()
        let gateway = try await http.start()

        #expect(try await http.request("/healthz").json["status"] as? String == "ok")
        let ready = try await http.request("/readyz")
        #expect(ready.status == 200, "\(ready)")
        #expect((ready.json["checks"] as? [String: Bool]) == ["config": true, "historian": true, "pollers": true])
        let page = try await http.request("/")
        #expect(page.status == 200 && page.headers["content-type"]?.hasPrefix("text/html") == true, "\(page)")
        #expect(try await http.request("/assets/no-such-file.js").status == 404)

        for path in Self.protected {
            let none = try await http.request(path)
            #expect(none.status == 401, "\(path): \(none)")
            #expect(none.headers["www-authenticate"]?.hasPrefix("Bearer") == true, "\(path): \(none)")
            #expect(none.json["error"] is String, "\(path): \(none)")
            let wrong = try await http.request(path, token: "not-the-token-0123456789")
            #expect(wrong.status == 401, "\(path): \(wrong)")
            let basic = try await http.request(path, extraHeaders: ["Authorization: Basic \(http.token)"])
            #expect(basic.status == 401, "\(path): \(basic)")
        }
        for path in Self.protectedPosts {
            let none = try await http.request(path, method: "POST")
            #expect(none.status == 401, "\(path): \(none)")
            let wrong = try await http.request(path, method: "POST", token: "not-the-token-0123456789")
            #expect(wrong.status == 401, "\(path): \(wrong)")
        }

        // Tags: every tag in config order, with a Good value once polled.
        try await eventually("temp polled with a value") {
            let tags = try await http.get("/api/v1/tags").json["tags"] as? [[String: Any]] ?? []
            return tags.first?["value"] is Double
        }
        let tagsAnswer = try await http.get("/api/v1/tags")
        #expect(tagsAnswer.headers["content-type"]?.hasPrefix("application/json") == true)
        let tags = try #require(tagsAnswer.json["tags"] as? [[String: Any]], "\(tagsAnswer)")
        #expect(tags.count == 1)
        let temp = try #require(tags.first)
        #expect(temp["device"] as? String == "oven-1" && temp["tag"] as? String == "temp")
        #expect(temp["quality"] as? String == "good" && temp["status"] as? String == "Good", "\(temp)")
        #expect(temp["status_code"] as? Int == 0 && temp["fault"] as? String == "none")
        #expect(temp["timestamp"] is String && temp["age_ms"] is Int && temp.keys.contains("raw"))
        #expect((tagsAnswer.json["generated_at"] as? String)?.hasSuffix("Z") == true)
        #expect(tagsAnswer.headers["content-encoding"] == nil)
        let gzipped = try await http.request("/api/v1/tags", token: http.token, compressed: true)
        #expect(gzipped.headers["content-encoding"] == "gzip", "\(gzipped)")
        #expect((gzipped.json["tags"] as? [[String: Any]])?.first?["tag"] as? String == "temp", "\(gzipped)")

        let status = try await http.get("/api/v1/status").json
        #expect(status["devices"] as? Int == 1 && status["tags"] as? Int == 1, "\(status)")
        #expect(status["pollers"] as? String == "running")
        #expect((status["historian"] as? [String: Any])?["writable"] as? Bool == true, "\(status)")
        #expect(status["version"] as? String == KilnVersion.text, "\(status)")
        #expect(status["started_at"] is String && status["uptime_s"] is Int)
        #expect(status["alarms_active"] is Int && status["remediations_pending"] as? Int == 0)

        let metrics = try await http.get("/metrics")
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true, "\(metrics)")
        #expect(metrics.body.contains("kiln_poll_requests_total"))

        // History: raw points, then one per second; bad parameters are 400, unknown tags 404.
        try await eventually("history holds points") {
            let points = try await http.get("/api/v1/tags/oven-1/temp/history?from=-5m").json["points"] as? [Any]
            return (points?.count ?? 0) >= 3
        }
        let raw = try await http.get("/api/v1/tags/oven-1/temp/history?from=-5m&to=now")
        #expect(raw.json["device"] as? String == "oven-1" && raw.json["unit"] is NSNull, "\(raw)")
        #expect(raw.json["every"] is NSNull && raw.json["agg"] is NSNull)
        let points = try #require(raw.json["points"] as? [[String: Any]])
        #expect(points.contains { $0["quality"] as? String == "good" && $0["value"] is Double }, "\(raw)")
        // Before the gateway started: not covered, so never Good.
        let before = try await http.get("/api/v1/tags/oven-1/temp/history?from=-2h&to=-1h")
        let beforePoints = try #require(before.json["points"] as? [[String: Any]], "\(before)")
        #expect(!beforePoints.isEmpty && beforePoints.allSatisfy { $0["quality"] as? String != "good" }, "\(before)")
        let buckets = try await http.get("/api/v1/tags/oven-1/temp/history?from=-1m&every=1s&agg=max")
        #expect(buckets.status == 200 && buckets.json["every"] as? String == "1s", "\(buckets)")
        #expect(buckets.json["agg"] as? String == "max")
        #expect((buckets.json["points"] as? [Any])?.count ?? 0 >= 60, "\(buckets)")
        for bad in [
            "from=yesterday", "from=-1h&to=-2h", "every=0s", "every=1ms&from=-7d", "agg=avg", "every=1m&agg=median",
            "from=99999-01-01", "from=%FF", "every=-1m",
        ] {
            let answer = try await http.get("/api/v1/tags/oven-1/temp/history?\(bad)")
            #expect(answer.status == 400 && answer.json["error"] is String, "\(bad): \(answer)")
        }
        #expect(try await http.get("/api/v1/tags/oven-1/nope/history").status == 404)
        #expect(try await http.get("/api/v1/tags/oven-1/te%ZZmp/history").status == 400)

        // Export: kiln export's CSV, streamed, and JSON Lines.
        let csv = try await http.get("/api/v1/export?from=-5m&tag=oven-1/temp")
        #expect(csv.status == 200 && csv.headers["content-type"]?.hasPrefix("text/csv") == true, "\(csv)")
        #expect(csv.body.hasPrefix("ts,device,tag,value,raw,status"), "\(csv)")
        #expect(csv.body.components(separatedBy: "oven-1,temp,").count > 3, "\(csv)")
        #expect(csv.headers["transfer-encoding"] == "chunked", "\(csv)")
        let jsonl = try await http.get("/api/v1/export?from=-5m&format=jsonl&every=10s&agg=min,max")
        #expect(jsonl.status == 200, "\(jsonl)")
        let firstLine = try #require(jsonl.body.split(separator: "\n").first)
        let row = try JSONSerialization.jsonObject(with: Data(firstLine.utf8)) as? [String: Any]
        #expect(row?["device"] as? String == "oven-1" && row?.keys.contains("max") == true, "\(jsonl)")
        for bad in ["", "from=-1h&format=xml", "from=-1h&tag=nope/*", "from=-1h&agg=max"] {
            let answer = try await http.get("/api/v1/export?\(bad)")
            #expect(answer.status == 400 && answer.json["error"] is String, "\(bad): \(answer)")
        }

        // Remediation: none configured, so no runs and no run to approve.
        let runs = try await http.get("/api/v1/remediations")
        #expect(runs.status == 200 && (runs.json["runs"] as? [Any])?.isEmpty == true, "\(runs)")
        #expect(try await http.post("/api/v1/remediations/7/approve").status == 404)
        #expect(try await http.post("/api/v1/remediations/x/reject").status == 404)

        let document = try await http.get("/api/v1/openapi.json")
        #expect(document.json["openapi"] as? String == "3.0.3" && document.json["paths"] is [String: Any])

        // A method a route does not take.
        let delete = try await http.request("/api/v1/tags", method: "DELETE", token: http.token)
        #expect(delete.status == 405 && delete.headers["allow"] == "GET", "\(delete)")

        #expect(gateway.wait(timeout: .zero) == nil, "kiln run ended: \(gateway.stderr.text)")
        gateway.signal(SIGTERM)
        #expect(try await gateway.exited() == .exited(0), Comment(rawValue: gateway.stderr.text))
    }

    /// `/api/v1/tags` on a kept connection is answered on the event loop (``TagsFastPath``):
    /// the same document and headers as the route's, responses in request order when requests
    /// are pipelined behind one that Hummingbird answers, a request's body not taken for the
    /// next request, and anything it does not take (a refused token) left to the route.
    @Test func tagsOnOneConnectionKeepOrderAndFraming() async throws {
        let http = try HTTPRig()
        defer { http.cleanup() }
        try await http.write()
        _ = try await http.start()
        try await eventually("tags polled") {
            let tags = try await http.get("/api/v1/tags").json["tags"] as? [[String: Any]]
            return tags?.first?["status"] as? String == "Good"
        }
        _ = try await http.request("/api/v1/tags", token: http.token, compressed: true)

        let gz = ["Accept-Encoding": "gzip"]
        let script: [[[String: Any]]] = [
            [["path": "/api/v1/tags"]],
            [["path": "/api/v1/tags", "headers": gz]],
            // Pipelined: history (Hummingbird's), then tags, then status, in one write.
            [
                ["path": "/api/v1/tags/oven-1/temp/history?from=-1m"], ["path": "/api/v1/tags", "headers": gz],
                ["path": "/api/v1/status"],
            ],
            // A GET with a body, then the next request on the same connection.
            [["path": "/api/v1/tags", "body": "GET /api/v1/status HTTP/1.1\r\n\r\n"], ["path": "/api/v1/alarms"]],
            [["path": "/api/v1/tags", "headers": ["Authorization": "Bearer not-the-token-0123456789"]]],
        ]
        let text = try await runTool([
            try RigTool.python(), Repository.root + "/tools/testpeers/http_one_connection.py", "\(http.port)",
            http.token, String(decoding: try JSONSerialization.data(withJSONObject: script), as: UTF8.self),
        ])
        let answers = text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        try #require(answers.count == 8, "\(text)")
        func body(_ i: Int) -> [String: Any] {
            let text = answers[i]["body"] as? String ?? ""
            return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        }
        func headers(_ i: Int) -> [String: String] { answers[i]["headers"] as? [String: String] ?? [:] }
        for i in [0, 1, 3, 5] {
            #expect(answers[i]["status"] as? Int == 200, "\(i): \(answers[i])")
            #expect((body(i)["tags"] as? [[String: Any]])?.first?["tag"] as? String == "temp", "\(i): \(answers[i])")
            #expect(headers(i)["content-type"] == "application/json; charset=utf-8", "\(i): \(headers(i))")
            #expect(headers(i)["vary"] == "Accept-Encoding" && headers(i)["cache-control"] == "no-store")
            #expect(headers(i)["date"]?.hasSuffix(" GMT") == true, "\(i): \(headers(i))")
        }
        #expect(answers[0]["gzip"] as? Bool == false && answers[1]["gzip"] as? Bool == true)
        #expect(answers[3]["gzip"] as? Bool == true, "tags second: \(answers[3])")
        #expect(body(2)["points"] is [Any], "history first: \(answers[2])")
        #expect(body(4)["version"] is String, "status third: \(answers[4])")
        #expect(body(6)["alarms"] is [Any], "the request after a body: \(answers[6])")
        #expect(answers[7]["status"] as? Int == 401, "\(answers[7])")
    }

    /// A token is rotated with SIGHUP, without a restart: the token file is read again after the
    /// reload, the old token is refused and the new one taken (by the route and the event-loop
    /// fast path alike). A token file made loose (0644) refuses the reload, naming it, and the
    /// tokens in force stay.
    @Test func aReloadReadsTheTokenFileAgain() async throws {
        let http = try HTTPRig()
        defer { http.cleanup() }
        try await http.write()
        let gateway = try await http.start()
        #expect(try await http.request("/api/v1/status", token: http.token).status == 200)

        func writeTokens(_ token: String, mode: mode_t) throws {
            try "\(token)\n".write(toFile: http.tokenFile, atomically: false, encoding: .utf8)
            guard chmod(http.tokenFile, mode) == 0 else { throw RigFailure("chmod \(http.tokenFile)") }
        }
        let rotated = "kiln-rotated-" + UUID().uuidString.lowercased()
        try writeTokens(rotated, mode: 0o600)
        gateway.signal(SIGHUP)
        try await eventually("the tokens read again", detail: { gateway.stderr.text }) {
            gateway.stderr.text.contains("http: tokens read again")
        }
        for path in ["/api/v1/status", "/api/v1/tags"] {
            #expect(try await http.request(path, token: rotated).status == 200, "\(path)")
            #expect(try await http.request(path, token: http.token).status == 401, "\(path)")
        }

        let loose = "kiln-loose-" + UUID().uuidString.lowercased()
        try writeTokens(loose, mode: 0o644)
        gateway.signal(SIGHUP)
        try await eventually("the refused reload", detail: { gateway.stderr.text }) {
            gateway.stderr.text.contains("configuration reload refused")
        }
        #expect(gateway.stderr.text.contains("token_file"), "\(gateway.stderr.text)")
        #expect(try await http.request("/api/v1/status", token: rotated).status == 200)
        #expect(try await http.request("/api/v1/status", token: loose).status == 401)
        gateway.signal(SIGTERM)
        #expect(try await gateway.exited() == .exited(0), Comment(rawValue: gateway.stderr.text))
    }

    /// Under a real-time policy the server's threads (event loops, tags builder) run at nice -5:
    /// behind the storage threads at -10 (API load never costs samples), ahead of the machine's
    /// ordinary threads; the poll threads stay SCHED_FIFO above all of them. Needs root (CI is).
    @Test func underRealTimeTheServerThreadsRunBetweenStorageAndOrdinaryThreads() async throws {
        try #require(getuid() == 0, "needs root for SCHED_FIFO and negative nice values")
        let http = try HTTPRig()
        defer { http.cleanup() }
        try await http.write()
        let config = try String(contentsOfFile: http.rig.config, encoding: .utf8)
        try (config + "realtime: { policy: fifo, priority: 10 }\n").write(
            toFile: http.rig.config, atomically: false, encoding: .utf8)
        let gateway = try await http.start()
        // The tags builder starts with the first request for the document.
        _ = try await http.get("/api/v1/tags")

        /// Each thread's name with its nice value and scheduling policy, from /proc.
        func threads() throws -> [(name: String, nice: Int, policy: Int)] {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/\(gateway.pid)/task").compactMap { tid in
                let stat = try String(contentsOfFile: "/proc/\(gateway.pid)/task/\(tid)/stat", encoding: .utf8)
                guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
                // After the name: field 3 (state) on; nice is field 19, policy field 41.
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                return (String(stat[stat.index(after: open)..<close]), Int(fields[16]) ?? 99, Int(fields[38]) ?? -1)
            }
        }
        var seen: [(name: String, nice: Int, policy: Int)] = []
        try await eventually("the tags builder thread started") {
            seen = try threads()
            return seen.contains { $0.name == "kiln-http-tags" }
        }
        let byName = Dictionary(grouping: seen, by: \.name)
        let server = (byName["kiln-http"] ?? []) + (byName["kiln-http-tags"] ?? [])
        #expect((byName["kiln-http"] ?? []).count >= 1, "\(seen)")
        #expect(server.allSatisfy { $0.nice == -5 && $0.policy == 0 }, "\(server)")
        let storage = (byName["kiln-historian"] ?? []) + (byName["kiln-alarms"] ?? [])
        #expect(storage.count == 2 && storage.allSatisfy { $0.nice == -10 }, "\(storage)")
        let pollers = byName["kiln-poll"] ?? []
        #expect(!pollers.isEmpty && pollers.allSatisfy { $0.policy == Int(SCHED_FIFO) }, "\(pollers)")
    }

    /// Acknowledge, shelve and unshelve through the API, with the id as one percent-encoded
    /// segment; `kiln alarms` sees each, with the API caller as who did it.
    @Test func alarmsAreAcknowledgedAndShelvedThroughTheAPI() async throws {
        let http = try HTTPRig()
        defer { http.cleanup() }
        try await http.write(period: "4s")
        let gateway = try await http.start()
        let id = "oven-1%2Ftemp%2Fhigh"

        func alarm() async throws -> [String: Any] {
            let list = try await http.get("/api/v1/alarms").json["alarms"] as? [[String: Any]] ?? []
            return list.first { $0["id"] as? String == "oven-1/temp/high" } ?? [:]
        }
        try await eventually("oven-1/temp/high active and unacknowledged") {
            let a = try await alarm()
            return a["active"] as? Bool == true && a["acked"] as? Bool == false
        }
        let first = try await alarm()
        #expect(first["name"] as? String == "high" && first["severity"] as? String == "major", "\(first)")
        #expect(first["limit"] as? String == "above 50" && first["since"] is String && first["episode"] is String)

        let ack = try await http.post("/api/v1/alarms/\(id)/ack")
        #expect(ack.status == 200 && ack.json["acked"] as? Bool == true, "\(ack)")
        #expect(ack.json["id"] as? String == "oven-1/temp/high")
        let again = try await http.post("/api/v1/alarms/\(id)/ack")
        #expect(again.status == 409 && again.json["error"] is String, "\(again)")

        let shelve = try await http.post(
            "/api/v1/alarms/\(id)/shelve", body: #"{"for":"1h","reason":"burner service"}"#)
        #expect(shelve.status == 200 && shelve.json["shelved"] as? Bool == true, "\(shelve)")
        #expect(shelve.json["shelved_until"] is String, "\(shelve)")
        let listed = try await runKiln(["alarms", "list", http.rig.config])
        #expect(listed.stdout.contains("oven-1/temp/high") && listed.stdout.contains("shelved"), "\(listed.stdout)")

        let unshelve = try await http.post("/api/v1/alarms/\(id)/unshelve")
        #expect(unshelve.status == 200 && unshelve.json["shelved"] as? Bool == false, "\(unshelve)")
        #expect(try await http.post("/api/v1/alarms/\(id)/unshelve").status == 409)

        // Bad input is 4xx: no such alarm, bad encoding, bad bodies.
        #expect(try await http.post("/api/v1/alarms/oven-1%2Ftemp%2Fnope/ack").status == 404)
        #expect(try await http.post("/api/v1/alarms/oven-1%2/ack").status == 400)
        #expect(try await http.post("/api/v1/alarms/%C3%28/ack").status == 400)
        for body in ["{", #"{"for":"forever"}"#, #"{"for":"100d"}"#, #"["x"]"#, #"{"for":12}"#] {
            let answer = try await http.post("/api/v1/alarms/\(id)/shelve", body: body)
            #expect(answer.status == 400, "\(body): \(answer)")
        }

        // Who did it: the token's hash prefix and the peer, in the alarm history.
        let history = try await runKiln(["alarms", "history", http.rig.config])
        let digest = try await sha256Hex(http.token).prefix(12)
        for transition in ["acknowledged", "shelved", "unshelved"] {
            #expect(
                history.stdout.split(separator: "\n").contains {
                    $0.contains(transition) && $0.contains("by=http:\(digest)@127.0.0.1:")
                }, "\(transition): \(history.stdout)")
        }
        #expect(gateway.stderr.text.contains("alarm command"), "\(gateway.stderr.text)")
        gateway.signal(SIGTERM)
        #expect(try await gateway.exited() == .exited(0), Comment(rawValue: gateway.stderr.text))
    }

    /// Must show: a 0644 token file is refused at start (exit 1, naming the file and its mode),
    /// and so is a short token; a non-loopback address without a token file is refused, by
    /// `kiln check` too; a taken port stops the start naming the address.
    @Test func startIsRefusedForALooseTokenFileAnOpenAddressOrATakenPort() async throws {
        let http = try HTTPRig()
        defer { http.cleanup() }
        try await http.write(tokenMode: 0o644)
        let loose = try await runKiln(["run", http.rig.config, "--quiet", "--duration", "5s"])
        #expect(loose.status == .exited(1), "\(loose)")
        #expect(loose.stderr.contains("api.tokens' has mode 0644"), "\(loose.stderr)")
        let checked = try await runKiln(["check", http.rig.config])
        #expect(checked.status == .exited(1) && checked.stderr.contains("kiln.yaml:"), "\(checked.stderr)")

        try "short-token\n".write(toFile: http.tokenFile, atomically: false, encoding: .utf8)
        chmod(http.tokenFile, 0o600)
        let short = try await runKiln(["run", http.rig.config, "--quiet", "--duration", "5s"])
        #expect(short.status == .exited(1) && short.stderr.contains("at least 16 characters"), "\(short)")

        try await http.write(http: "  listen: 0.0.0.0:\(http.port)\n")
        let open = try await runKiln(["run", http.rig.config, "--quiet", "--duration", "5s"])
        #expect(open.status == .exited(1) && open.stderr.contains("not loopback"), "\(open)")
        #expect(open.stderr.contains("kiln.yaml:8:11: error:"), "\(open.stderr)")

        let (fd, taken) = try Loopback.bindAnyPort()
        defer { close(fd) }
        #expect(listen(fd, 1) == 0)
        try await http.write(http: "  listen: 127.0.0.1:\(taken)\n  token_file: api.tokens\n")
        let busy = try await runKiln(["run", http.rig.config, "--quiet", "--duration", "5s"])
        #expect(busy.status == .exited(1), "\(busy)")
        #expect(busy.stderr.contains("cannot listen on 127.0.0.1:\(taken)"), "\(busy.stderr)")
    }

    /// TLS from `tls: { cert, key }`: https answers with the certificate, plain http does not.
    @Test func tlsServesHTTPS() async throws {
        let http = try HTTPRig(tls: true)
        defer { http.cleanup() }
        try await http.write()
        let gateway = try await http.start()
        let status = try await http.get("/api/v1/status")
        #expect(status.status == 200 && status.json["devices"] as? Int == 1, "\(status)")
        #expect(try await http.request("/api/v1/status").status == 401)
        let curl = try RigTool.require("/usr/bin/curl", package: "curl")
        let plain = try await runProgram(curl, ["-sS", "--max-time", "10", "http://127.0.0.1:\(http.port)/healthz"])
        #expect(!plain.stdout.contains("\"ok\""), "\(plain.stdout)")
        gateway.signal(SIGTERM)
        #expect(try await gateway.exited() == .exited(0), Comment(rawValue: gateway.stderr.text))

        // A TLS key others can read is refused like the token file.
        chmod(http.key, 0o644)
        let loose = try await runKiln(["run", http.rig.config, "--quiet", "--duration", "5s"])
        #expect(loose.status == .exited(1) && loose.stderr.contains("server.key' has mode 0644"), "\(loose)")
    }

    /// Hostile requests get 4xx, never a crash: huge headers, bad percent-encoding, odd
    /// methods, junk bodies, a raw request that is not HTTP; the server answers afterwards.
    @Test func hostileRequestsGetClientErrorsAndTheServerLives() async throws {
        let http = try HTTPRig()
        defer { http.cleanup() }
        try await http.write()
        let gateway = try await http.start()

        let huge = String(repeating: "x", count: 200_000)
        let bigHeader = try? await http.request("/api/v1/tags", token: http.token, extraHeaders: ["X-Junk: \(huge)"])
        #expect(bigHeader.map { (400..<500).contains($0.status) } ?? true, "\(String(describing: bigHeader))")
        let manyHeaders = (0..<300).map { "X-H\($0): v" }
        let many = try? await http.request("/api/v1/tags", token: http.token, extraHeaders: manyHeaders)
        #expect(many.map { (400..<500).contains($0.status) } ?? true, "\(String(describing: many))")
        let bigToken = try await http.request("/api/v1/tags", token: String(repeating: "t", count: 10_000))
        #expect(bigToken.status == 401)
        for path in [
            "/api/v1/alarms/%/ack", "/api/v1/alarms/%zz%/shelve", "/api/v1/tags/%00/%00/history",
            "/api/v1/tags/oven-1/temp/history?from=\(String(repeating: "9", count: 5000))",
            "/api/v1/tags/oven-1/temp/history?every=99999999999999999999d",
            "/api/v1/tags/oven-1/temp/history?from=-99999999999999999999w",
            "/api/v1/export?from=0&every=0.0000001s", "/api/v1/remediations/99999999999999999999999/approve",
        ] {
            let method = path.hasSuffix("ack") || path.hasSuffix("shelve") || path.hasSuffix("approve") ? "POST" : "GET"
            let answer = try await http.request(path, method: method, token: http.token)
            #expect((400..<500).contains(answer.status), "\(path): \(answer)")
        }
        let bigBody = String(repeating: "{", count: 1_000_000)
        let body = try await http.request(
            "/api/v1/alarms/oven-1%2Ftemp%2Fhigh/shelve", method: "POST", token: http.token, body: bigBody)
        #expect((400..<500).contains(body.status), "\(body)")

        // Not HTTP at all.
        let fd = try Loopback.connect(port: http.port)
        let junk = Array("\u{1}\u{2}GARBAGE \r\n\r\n\r\n".utf8)
        _ = junk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var reply = [UInt8](repeating: 0, count: 512)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let n = reply.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        close(fd)
        let text = n > 0 ? String(decoding: reply[0..<n], as: UTF8.self) : ""
        #expect(n <= 0 || text.hasPrefix("HTTP/1.1 4"), "\(text)")

        #expect(try await http.request("/healthz").status == 200)
        #expect(gateway.wait(timeout: .zero) == nil, "kiln run ended: \(gateway.stderr.text)")
        gateway.signal(SIGTERM)
        #expect(try await gateway.exited() == .exited(0), Comment(rawValue: gateway.stderr.text))
    }
}

/// SHA-256 of `text` in hex, by the sha256sum CLI (not Kiln's code).
func sha256Hex(_ text: String) async throws -> String {
    let dir = TempDir("sha")
    defer { dir.cleanup() }
    let output = try await runTool(["/usr/bin/sha256sum", try dir.write("t", text)])
    return String(output.split(separator: " ").first ?? "")
}

/// Approving and rejecting remediation runs through the API, against a real sshd.
@Suite struct HTTPRemediationTests {
    /// A run awaiting approval (`mode: approve`) is listed by the API, approved with the token
    /// (recorded in the audit log as the API caller), and runs once; a second approve is 409,
    /// an unknown run 404.
    @Test func aRunIsApprovedThroughTheAPIAndRunsOnce() async throws {
        let r = try RemediationRig()
        defer { r.cleanup() }
        try r.write(
            map: RemediationRig.map(port: try Loopback.unusedPort()), mode: "approve",
            command: try r.recorderCommand(["{episode}"]))
        let http = try HTTPRig(rig: r.rig)
        try http.appendHTTPBlock()
        let sim = try await r.rig.simulator()
        defer { sim.stop() }
        let gateway = try r.rig.gateway()
        defer { _ = gateway.stop() }
        try await http.waitUntilServing(gateway)

        var runs: [[String: Any]] = []
        try await r.waitFor("a run awaiting approval in GET /api/v1/remediations", while: gateway) {
            runs = try await http.get("/api/v1/remediations").json["runs"] as? [[String: Any]] ?? []
            return runs.first?["state"] as? String == "awaiting_approval"
        }
        let run = try #require(runs.first)
        let id = try #require(run["id"] as? Int)
        #expect(run["rule"] as? String == "fix" && run["host"] as? String == "box", "\(run)")
        #expect((run["argv"] as? [String])?.last == run["episode"] as? String, "\(run)")
        #expect(run["created_at"] is String)
        let status = try await http.get("/api/v1/status").json
        #expect(status["remediations_pending"] as? Int == 1, "\(status)")

        #expect(try await http.post("/api/v1/remediations/\(id + 1000)/approve").status == 404)
        #expect(try await http.post("/api/v1/remediations/abc/approve").status == 400)
        let approved = try await http.post("/api/v1/remediations/\(id)/approve")
        #expect(approved.status == 200 && approved.json["state"] as? String == "queued", "\(approved)")
        let digest = try await sha256Hex(http.token).prefix(12)
        #expect((approved.json["decided_by"] as? String)?.hasPrefix("http:\(digest)@127.0.0.1:") == true, "\(approved)")
        let again = try await http.post("/api/v1/remediations/\(id)/reject")
        #expect(again.status == 409 && again.json["error"] is String, "\(again)")

        try await r.waitFor("the approved run done", while: gateway) {
            try await r.queue().first?["outcome"] as? String == "succeeded"
        }
        #expect(try await r.stop(gateway) == .exited(0), Comment(rawValue: gateway.stderr.text))
        #expect(r.runs == [[run["episode"] as? String ?? "?"]], "\(r.runs)")
        let audit = try await r.audit()
        #expect(
            audit.contains {
                $0["outcome"] as? String == "approved" && ($0["by"] as? String)?.contains("http:\(digest)@") == true
            }, "\(audit)")
    }
}
