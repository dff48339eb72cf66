import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A gateway with the HTTP server: an `AlarmRig` folder (device map, historian) plus the
/// `http:` block, its token file (0600) and, on request, a self-signed certificate.
final class HTTPRig: Sendable {
    let rig: AlarmRig
    let port: Int
    let token = "kiln-test-" + UUID().uuidString.lowercased()
    let tls: Bool

    /// - Parameter rig: the folder of another rig (a ``RemediationRig``'s), else a new one.
    init(tls: Bool = false, rig: AlarmRig? = nil) throws {
        self.rig = try rig ?? AlarmRig()
        port = try Loopback.unusedPort()
        self.tls = tls
    }

    var tokenFile: String { rig.file("api.tokens") }
    var certificate: String { rig.file("server.pem") }
    var key: String { rig.file("server.key") }
    var base: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)" }

    /// What ``start()`` started.
    private let started = Mutex<[ChildProcess]>([])

    /// Stops what ``start()`` started (the gateway first), then removes the folder.
    func cleanup() {
        for child in started.withLock({ $0 }).reversed() { child.stop() }
        rig.cleanup()
    }

    /// Starts the plant (`kiln simulate` on the rig's map) and the gateway (`kiln run` on its
    /// config, written first), and waits until the API serves; ``cleanup()`` stops both.
    func start() async throws -> ChildProcess {
        let sim = try await rig.simulator()
        started.withLock { $0.append(sim) }
        let gateway = try self.gateway()
        started.withLock { $0.append(gateway) }
        try await waitUntilServing(gateway)
        return gateway
    }

    /// A device `oven-1` whose `temp` crosses 50 every `period` (its `high` alarm fires and
    /// clears), polled every 100 ms, and a config with a historian and `http:`.
    func write(period: String = "2s", http: String? = nil, tokenMode: mode_t = 0o600) async throws {
        let map = AlarmDeliveryTests.togglingMap(port: try Loopback.unusedPort(), period: period)
        try map.write(toFile: rig.map, atomically: false, encoding: .utf8)
        try writeTokens(mode: tokenMode)
        var block = http ?? "  listen: 127.0.0.1:\(port)\n  token_file: api.tokens\n"
        if tls {
            try await makeCertificate()
            block += "  tls: { cert: server.pem, key: server.key }\n"
        }
        let config = """
            devices:
              - map.yaml
            shutdown_timeout: 10s
            historian:
              path: kiln.sqlite
              flush: 100ms
            http:
            \(block)
            """
        try config.write(toFile: rig.config, atomically: false, encoding: .utf8)
    }

    /// The token file: a comment and the rig's token.
    func writeTokens(mode: mode_t = 0o600) throws {
        try "# the API's tokens\n\(token)\n".write(toFile: tokenFile, atomically: false, encoding: .utf8)
        guard chmod(tokenFile, mode) == 0 else { throw RigFailure("chmod \(tokenFile)") }
    }

    /// Adds `http:` on the rig's port with its token file to a config another rig wrote.
    func appendHTTPBlock() throws {
        try writeTokens()
        let text = try String(contentsOfFile: rig.config, encoding: .utf8)
        try (text + "\nhttp:\n  listen: 127.0.0.1:\(port)\n  token_file: api.tokens\n").write(
            toFile: rig.config, atomically: false, encoding: .utf8)
    }

    /// A self-signed certificate for 127.0.0.1 by the openssl CLI, its key 0600.
    func makeCertificate() async throws {
        let openssl = try RigTool.require("/usr/bin/openssl", package: "openssl")
        _ = try await runTool([
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        guard chmod(key, 0o600) == 0 else { throw RigFailure("chmod \(key)") }
    }

    /// `kiln run` on the config, quietly.
    func gateway() throws -> ChildProcess { try rig.gateway() }

    /// Until `/healthz` answers.
    func waitUntilServing(_ gateway: ChildProcess) async throws {
        try await eventually(
            "the HTTP server answers /healthz", timeout: .seconds(120), detail: { gateway.stderr.text }
        ) {
            if gateway.wait(timeout: .zero) != nil { throw RigFailure("kiln run exited: \(gateway.stderr.text)") }
            return (try? await request("/healthz", token: nil))?.status == 200
        }
    }

    /// One answer.
    struct Answer: CustomStringConvertible {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
        var description: String { "\(status) \(headers) \(body.prefix(2000))" }
    }

    /// A request by curl (a client that is not Kiln's): `token` nil sends no Authorization.
    func request(
        _ path: String, method: String = "GET", token: String? = nil, body: String? = nil,
        extraHeaders: [String] = [], compressed: Bool = false
    ) async throws -> Answer {
        let curl = try RigTool.require("/usr/bin/curl", package: "curl")
        let id = UUID().uuidString
        let headerFile = rig.file("h-\(id)")
        let bodyFile = rig.file("b-\(id)")
        defer {
            unlink(headerFile)
            unlink(bodyFile)
        }
        var arguments = [
            curl, "-sS", "--path-as-is", "--max-time", "60", "-X", method, "-D", headerFile, "-o", bodyFile,
            "-w", "%{http_code}",
        ]
        if tls { arguments += ["--cacert", certificate] }
        if compressed { arguments.append("--compressed") }
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        for header in extraHeaders { arguments += ["-H", header] }
        let bodyInput = rig.file("in-\(id)")
        defer { unlink(bodyInput) }
        if let body {
            try body.write(toFile: bodyInput, atomically: false, encoding: .utf8)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@" + bodyInput]
        }
        arguments.append(base + path)
        let code = try await runTool(arguments)
        var headers: [String: String] = [:]
        let headerText = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        for line in headerText.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let text = (try? String(contentsOfFile: bodyFile, encoding: .utf8)) ?? ""
        return Answer(status: Int(code) ?? -1, headers: headers, body: text)
    }

    /// With the rig's token.
    func get(_ path: String) async throws -> Answer { try await request(path, token: token) }

    func post(_ path: String, body: String? = nil) async throws -> Answer {
        try await request(path, method: "POST", token: token, body: body)
    }
}
