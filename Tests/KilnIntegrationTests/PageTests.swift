import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 14's page in a real browser: `kiln simulate` plays the plant, `kiln run` serves the
/// page and the API, and Support/page_driver.py drives Debian's headless Chromium through
/// Playwright as an operator would: sign in, watch a value change, see a Bad tag marked bad,
/// acknowledge and shelve an alarm by clicking (the API then reports it so), open a trend.
/// A missing Chromium or Playwright fails the test; it never skips.
@Suite struct PageTests {
    static let driver = Repository.root + "/Tests/KilnIntegrationTests/Support/page_driver.py"
    /// Where the screenshot is kept after the run (the test prints the path).
    static let screenshot = Repository.root + "/.build/test-artifacts/page.png"

    /// One device: `temp` moves every poll (noise), `broken` reads 500 against a 0…100 range
    /// (BadSensorFailure the whole run), `hot` sits above its `high` limit (an active alarm).
    static func map(port: Int) -> String {
        """
        devices:
          - name: oven-1
            host: 127.0.0.1
            port: \(port)
            timeout: 300ms
            poll: 200ms
            tags:
              - name: temp
                register: holding
                address: 0
                type: float32
                unit: degC
                simulate: { value: 20, target: 60, tau: 30s, noise: 0.5 }
              - name: broken
                register: holding
                address: 2
                type: float32
                unit: degC
                range: [0, 100]
                simulate: { value: 500 }
              - name: hot
                register: holding
                address: 4
                type: float32
                unit: degC
                simulate: { value: 80 }
                alarms:
                  - { name: high, above: 50, severity: major }
        """
    }

    @Test func anOperatorSignsInWatchesValuesAcknowledgesAnAlarmAndOpensATrend() async throws {
        let rig = try AlarmRig()
        defer { rig.cleanup() }
        let chromium = try RigTool.require("/usr/bin/chromium", package: "chromium")
        let python = try RigTool.python()
        try Self.map(port: try Loopback.unusedPort()).write(toFile: rig.map, atomically: false, encoding: .utf8)
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let tokenFile = rig.file("http.token")
        try #require(FileManager.default.createFile(atPath: tokenFile, contents: Data((token + "\n").utf8)))
        try #require(chmod(tokenFile, 0o600) == 0)
        let httpPort = try Loopback.unusedPort()
        try """
        devices:
          - map.yaml
        shutdown_timeout: 10s
        historian:
          path: kiln.sqlite
          flush: 100ms
        http:
          listen: 127.0.0.1:\(httpPort)
          token_file: http.token
        """.write(toFile: rig.config, atomically: false, encoding: .utf8)

        let sim = try await rig.simulator()
        defer { sim.stop() }
        let kiln = try rig.gateway()
        defer { kiln.stop() }
        let base = "http://127.0.0.1:\(httpPort)"
        try await eventually("the gateway's HTTP server", timeout: .seconds(60), detail: { kiln.stderr.text }) {
            if kiln.exitStatus != nil || kiln.wait(timeout: .zero) != nil {
                throw RigFailure("kiln run exited: \(kiln.stderr.text)")
            }
            return (try? await httpGet(base + "/healthz")) != nil
        }
        // The page itself needs no token.
        let index = try await httpGet(base + "/")
        #expect(index.contains("/assets/app.js"), "GET / is not the page: \(index.prefix(200))")

        try? FileManager.default.removeItem(atPath: Self.screenshot)
        let driver = try ChildProcess([
            python, Self.driver, "--url", base, "--token", token, "--live", "oven-1/temp", "--bad", "oven-1/broken",
            "--alarm", "oven-1/hot/high", "--trend", "oven-1/temp", "--screenshot", Self.screenshot,
        ])
        driver.closeStandardInput()
        let status = try await driver.exited(timeout: .seconds(300))
        driver.waitForOutput()
        let report = "\(chromium) via \(Self.driver): \(status)\n\(driver.stdout.text)\(driver.stderr.text)"
        #expect(status == .exited(0), Comment(rawValue: report))
        let steps = driver.stdout.lines.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }.compactMap { $0["step"] as? String }
        #expect(
            steps == [
                "wrong token refused", "signed in", "live value changed", "bad tag marked bad", "health shown",
                "alarm acknowledged", "alarm shelved", "trend drawn", "chart breaks the line", "screenshot",
                "401 brings the prompt back",
            ], Comment(rawValue: report))
        #expect(FileManager.default.fileExists(atPath: Self.screenshot))
        print("page screenshot: \(Self.screenshot)")

        // What the clicks did is on record where an operator's tool looks, with the caller.
        let listed = try await runKiln(["alarms", "list", rig.config])
        let line = listed.stdout.split(separator: "\n").first { $0.hasPrefix("oven-1/hot/high ") } ?? ""
        #expect(line.contains("shelved"), Comment(rawValue: listed.stdout + listed.stderr))
        let acts = try await rig.query(
            """
            SELECT transition, json_extract(CAST(event AS TEXT), '$.by') AS who FROM alarm_history
            WHERE alarm = 'oven-1/hot/high' AND transition IN ('acknowledged', 'shelved') ORDER BY id
            """)
        #expect(acts.compactMap { $0["transition"] as? String } == ["acknowledged", "shelved"], "\(acts)")
        #expect(acts.allSatisfy { ($0["who"] as? String)?.hasPrefix("http:") == true }, "\(acts)")

        kiln.signal(SIGTERM)
        #expect(try await kiln.exited() == .exited(0), Comment(rawValue: kiln.stderr.text))
    }
}
