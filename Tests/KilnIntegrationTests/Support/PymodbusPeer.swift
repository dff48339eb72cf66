import Foundation
import Synchronization

/// python3 with pymodbus 3.x: the tests that need it fail, loudly, when it is missing.
enum Python {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    private static let check: Result<String, Missing> = {
        do {
            let child = try ChildProcess(["python3", "-c", "import pymodbus; print(pymodbus.__version__)"])
            guard let status = child.wait(timeout: .seconds(30)) else {
                return .failure(Missing(description: "python3 -c 'import pymodbus' did not finish"))
            }
            child.waitForOutput()
            let version = child.stdout.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard status == .exited(0), version.hasPrefix("3.") else {
                return .failure(
                    Missing(
                        description: "these tests need python3 with pymodbus 3.x (tools/setup.sh --tests installs it): "
                            + "\(status), \(version) \(child.stderr.text)"))
            }
            return .success(version)
        } catch {
            return .failure(Missing(description: "these tests need python3 with pymodbus 3.x: \(error)"))
        }
    }()

    /// The pymodbus version, or an error that fails the calling test.
    @discardableResult
    static func requirePymodbus() throws -> String { try check.get() }
}

/// A pymodbus Modbus/TCP server on a loopback port, started for one test and stopped with it
/// (the object kills its process when it goes away).
final class PymodbusPeer: Sendable {
    let port: Int
    let spec: PeerSpec
    let process: ChildProcess

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts the peer and waits until it listens.
    ///
    /// - Parameters:
    ///   - spec: the units and registers to serve.
    ///   - port: 0 lets the peer bind a free port; give a port to come back on the same one.
    ///   - logRequests: have the peer report each read request (see `requests`).
    init(_ spec: PeerSpec, port: Int = 0, logRequests: Bool = false) throws {
        try Python.requirePymodbus()
        let json = String(decoding: try PymodbusPeer.encoder.encode(spec), as: UTF8.self)
        var arguments = ["python3", Repository.pymodbusServer, "--port", String(port)]
        if logRequests { arguments.append("--log-requests") }
        let process = try ChildProcess(arguments + [json])
        guard let first = process.waitForLine(timeout: .seconds(20), where: { _ in true }), let bound = Int(first)
        else {
            process.stop()
            process.waitForOutput()
            throw StartFailure(
                description:
                    "pymodbus test peer did not start (port \(port)): \(process.exitStatus.map { "\($0)" } ?? "running")\n"
                    + process.stdout.text + process.stderr.text)
        }
        self.port = bound
        self.spec = spec
        self.process = process
    }

    convenience init(_ units: [Int: PeerUnit], port: Int = 0, logRequests: Bool = false) throws {
        try self.init(PeerSpec(units), port: port, logRequests: logRequests)
    }

    deinit { stop() }

    /// Stops the peer (SIGTERM, then SIGKILL) and waits until it is gone. Tests call it in a
    /// `defer`, which also keeps the peer alive to the end of the test.
    func stop() {
        process.stop(grace: .milliseconds(500))
    }

    /// Kills the peer at once (SIGKILL), like a device losing power, and waits until it is gone.
    func crash() {
        process.signal(SIGKILL)
        _ = process.wait(timeout: .seconds(5))
    }

    /// One read request the peer saw (with `logRequests`).
    struct Request: Decodable, Hashable {
        var unit: Int
        var n: Int
        var fc: Int
        var address: Int
        var count: Int
        var outcome: String
    }

    /// Connections the peer accepted so far, when started with `logRequests`.
    var connections: Int {
        process.stdout.lines.filter { $0.contains("\"event\": \"connect\"") }.count
    }

    /// The read requests seen so far, when started with `logRequests`.
    var requests: [Request] {
        process.stdout.lines.dropFirst().compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// Waits until the peer has reported at least `count` requests (its log reaches the test a
    /// moment after its reply reaches Kiln), then returns them all.
    func requests(atLeast count: Int, within timeout: Duration = .seconds(2)) -> [Request] {
        var seen: [Request] = []
        _ = Poll.until(timeout: timeout) {
            seen = requests
            return seen.count >= count
        }
        return seen
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}
