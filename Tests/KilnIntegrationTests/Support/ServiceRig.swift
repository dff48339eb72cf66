import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `kiln simulate` serving one device and a gateway config (historian included) that polls it,
/// in a temporary folder: what the systemd and single-instance tests run `kiln run` on.
final class ServiceRig: Sendable {
    let directory: TemporaryDirectory
    let simulator: ChildProcess
    let config: String

    /// - Parameter extra: lines added to the gateway config (`pid_file: ...`).
    init(extra: String = "") throws {
        directory = try TemporaryDirectory()
        let (simulator, port) = try PollerMetricsTests.startSimulator(in: directory)
        self.simulator = simulator
        _ = try directory.write(
            DeviceMap([
                MapDevice("sim", port: port, timeout: "300ms", poll: "100ms", tags: PollerMetricsTests.simulatedTags)
            ]),
            as: "run.yaml")
        config = try directory.write(
            "kiln.yaml",
            """
            devices:
              - run.yaml
            historian:
              path: history.sqlite
            \(extra)
            """)
    }

    func stop() {
        simulator.stop()
        directory.remove()
    }

    /// `kiln run CONFIG --quiet` with `environment` added (through sh's exec, so that the
    /// child's PID is kiln's own and `$$` in a value is that PID).
    func gateway(environment: [String: String] = [:], config: String? = nil) throws -> ChildProcess {
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let script = (assignments + ["exec \"$0\" \"$@\""]).joined(separator: " ")
        return try ChildProcess([
            "/bin/sh", "-c", script, try Repository.kiln(), "run", config ?? self.config, "--quiet",
        ])
    }

    /// The PID in the lock file once it holds `pid` (nil if it never does within the timeout).
    func waitForPIDFile(_ path: String, pid: pid_t, timeout: Duration = .seconds(60)) -> Bool {
        Poll.until(timeout: timeout, interval: .milliseconds(20)) {
            (try? String(contentsOfFile: path, encoding: .utf8)) == "\(pid)\n"
        }
    }
}

/// A tool a test needs is not installed: the test fails saying how to install it.
struct ToolMissing: Error, CustomStringConvertible {
    var description: String
}
