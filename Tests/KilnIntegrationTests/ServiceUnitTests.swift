import Foundation
import KilnConfig
import KilnCore
import KilnTestSupport
import Testing

/// config/kiln.service: what it must say, and `systemd-analyze verify` (Debian systemd) finding
/// nothing to warn about.
struct ServiceUnitTests {
    static let unit = Repository.root + "/config/kiln.service"

    static func systemdAnalyze() throws -> String {
        guard
            let tool = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            throw ToolMissing(
                description: "systemd-analyze is not installed: run tools/setup.sh --tests (Debian systemd)")
        }
        return tool
    }

    /// The unit's `Key=value` lines (the last of each key).
    static func directives(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("[") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            values[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return values
    }

    /// Runs `systemd-analyze verify` on `text` as `kiln.service` in a temporary folder, its
    /// ExecStart pointing at the built kiln (verify checks that the program exists).
    static func verify(_ text: String) async throws -> ProgramOutput {
        let dir = TempDir("unit")
        defer { dir.cleanup() }
        let kiln = try Repository.kiln()
        let file = try dir.write("kiln.service", text.replacingOccurrences(of: "/usr/local/bin/kiln", with: kiln))
        // --man=no: no man pages to look up for Documentation=; no running systemd is needed.
        return try await runProgram(try systemdAnalyze(), ["verify", "--man=no", file], timeout: .seconds(60))
    }

    @Test func theUnitSaysWhatTheServiceNeeds() throws {
        let values = Self.directives(try String(contentsOfFile: Self.unit, encoding: .utf8))
        #expect(values["Type"] == "notify")
        #expect(values["NotifyAccess"] == "main")
        #expect(values["WatchdogSec"] != nil)
        #expect(values["Restart"] == "always")
        #expect(values["User"] == "svc_automation")
        #expect(values["AmbientCapabilities"] == "CAP_SYS_NICE CAP_IPC_LOCK")
        #expect(values["CapabilityBoundingSet"] == "CAP_SYS_NICE CAP_IPC_LOCK")
        #expect(values["LimitMEMLOCK"] == "infinity")
        #expect(values["NoNewPrivileges"] == "yes")
        #expect(values["ProtectSystem"] == "strict")
        #expect(values["PrivateTmp"] == "yes")
        #expect(values["ReadWritePaths"] == "/var/lib/kiln")
        #expect(values["ExecReload"] == "/bin/kill -HUP $MAINPID")
        // The scheduling matches the example config's realtime block.
        let config = try ConfigLoader.load(path: Repository.root + "/config/kiln.yaml")
        #expect(values["CPUSchedulingPolicy"] == "\(config.realtime.policy)")
        #expect(values["CPUSchedulingPriority"] == "\(config.realtime.priority)")
        // The installer's config puts the historian, and so the pid_file, in ReadWritePaths.
        #expect(values["ExecStart"] == "/usr/local/bin/kiln run /etc/kiln/kiln.yaml --quiet")
    }

    @Test func systemdAnalyzeVerifiesTheUnitWithoutAWarning() async throws {
        let result = try await Self.verify(try String(contentsOfFile: Self.unit, encoding: .utf8))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.isEmpty && result.stderr.isEmpty, "\(result.stdout)\(result.stderr)")
    }

    /// The check above can fail: a misspelt value is reported (systemd-analyze still exits 0
    /// for it, hence the test of its output).
    @Test func systemdAnalyzeReportsAMistake() async throws {
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
            .replacingOccurrences(of: "CPUSchedulingPolicy=fifo", with: "CPUSchedulingPolicy=fifoo")
        let result = try await Self.verify(text)
        #expect(result.stderr.contains("Failed to parse CPU scheduling policy"), "\(result.stdout)\(result.stderr)")
    }
}
