import Foundation
import KilnConfig
import KilnCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `http:` of a gateway config, and the token file's checks.
struct HTTPConfigTests {
    private func load(_ http: String) throws -> GatewayConfig {
        let dir = NSTemporaryDirectory() + "kiln-http-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "devices:\n  - { name: b, host: 127.0.0.1, tags: [{ name: t, register: coil, address: 0 }] }\n".write(
            toFile: dir + "/map.yaml", atomically: false, encoding: .utf8)
        return try ConfigLoader.load(yaml: "devices: [map.yaml]\n\(http)", path: dir + "/kiln.yaml")
    }

    @Test func noBlockNoServerAndDefaults() throws {
        #expect(try load("").http == nil)
        let http = try #require(try load("http: {}\n").http)
        #expect(http.host == "127.0.0.1" && http.port == 8080 && http.tokenFile == nil && http.tls == nil)
        #expect(try load("http:\n").http?.listenText == "127.0.0.1:8080")
    }

    @Test func listenAddresses() throws {
        #expect(try load("http: { listen: \"[::1]:9000\" }\n").http?.listenText == "[::1]:9000")
        #expect(try load("http: { listen: \"localhost:81\" }\n").http?.host == "127.0.0.1")
        let open = try load("http: { listen: \"0.0.0.0:8443\", token_file: t }\n").http
        #expect(open?.isLoopback == false && open?.tokenFile?.hasSuffix("/t") == true)
        for bad in [
            "8080", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "host.example:80", "::1:80", "[::1]", "1.2.3:80",
        ] {
            #expect(throws: ConfigError.self, "\(bad)") { try load("http: { listen: \"\(bad)\" }\n") }
        }
        #expect(throws: ConfigError.self) { try load("http: { listen: \"0.0.0.0:8080\" }\n") }
        #expect(throws: ConfigError.self) { try load("http: { tls: { cert: c.pem } }\n") }
    }

    @Test func tokenFiles() throws {
        let dir = NSTemporaryDirectory() + "kiln-tokens-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func tokens(_ text: String, mode: mode_t = 0o600) throws -> Result<[String], HTTPFiles.TokenProblem> {
            let path = dir + "/t-\(UUID().uuidString)"
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            chmod(path, mode)
            return HTTPFiles.tokens(path)
        }
        #expect(
            try tokens("# ops\n\n0123456789abcdef\n  fedcba9876543210  \n").get() == [
                "0123456789abcdef", "fedcba9876543210",
            ])
        for bad in ["", "# only a comment\n", "short\n", "0123456789abcdef 0123\n", "0123456789abcdé\u{1}\n"] {
            #expect(throws: HTTPFiles.TokenProblem.self, "\(bad)") { try tokens(bad).get() }
        }
        let loose = dir + "/loose"
        try "0123456789abcdef\n".write(toFile: loose, atomically: false, encoding: .utf8)
        chmod(loose, 0o644)
        let config = try load("http: { token_file: \(loose) }\n")
        let problems = HTTPFiles.check(config)
        #expect(problems.count == 1 && problems[0].message.contains("0644"), "\(problems)")
        chmod(loose, 0o400)
        #expect(HTTPFiles.check(config).isEmpty)
    }
}
