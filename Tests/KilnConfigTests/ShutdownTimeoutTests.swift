import Foundation
import KilnCore
import Testing

@testable import KilnConfig

/// `shutdown_timeout:` of a gateway config: how long `kiln run` may take to stop.
struct ShutdownTimeoutTests {
    static let cases = Bundle.module.resourceURL!.appendingPathComponent("Cases").path
    let path = ShutdownTimeoutTests.cases + "/gateway-glob/other.yaml"

    @Test func defaultsToTenSeconds() throws {
        let config = try ConfigLoader.load(yaml: "devices: [maps/*.yaml]\n", path: path)
        #expect(config.shutdownTimeout == .seconds(10))
    }

    @Test func takesADuration() throws {
        let config = try ConfigLoader.load(yaml: "devices: [maps/*.yaml]\nshutdown_timeout: 1500ms\n", path: path)
        #expect(config.shutdownTimeout == .milliseconds(1500))
    }

    @Test(arguments: [
        ("shutdown_timeout: 0s", "'shutdown_timeout' must be longer than zero (from 1ms to 1h), found 0s"),
        ("shutdown_timeout: 2h", "'shutdown_timeout' must be from 1ms to 1h, found 2h"),
        ("shutdown_timeout: 10", "duration '10' needs a unit: ms, s, m, h or d"),
        ("shutdown_timeout: soon", nil),
    ])
    func aBadValueIsAnErrorAtItsLine(line: String, message: String?) throws {
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader.load(yaml: "devices: [maps/*.yaml]\n\(line)\n", path: path)
        }
        let diagnostic = try #require(error?.diagnostics.first, "\(String(describing: error))")
        #expect(diagnostic.location == SourceLocation(file: path, line: 2, column: 19))
        if let message { #expect(diagnostic.message == message) }
    }
}
