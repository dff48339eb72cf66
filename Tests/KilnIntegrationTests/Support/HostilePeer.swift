import Foundation

/// `tools/testpeers/hostile_modbus.py`: a Modbus/TCP peer that misbehaves on purpose, one port
/// per mode, started for one test and stopped with it.
final class HostilePeer: Sendable {
    /// Every mode the script knows, in its order.
    static let modes = [
        "honest", "early", "between", "wrong-tid", "wrong-unit", "wrong-fc", "wrong-count", "wrong-len",
        "garbage", "reset", "late", "duplicate", "ssh", "http", "tls",
    ]

    /// Registers a test reads from each mode (holding 0..<count), as one block.
    static let count = 4

    /// The true value of holding (and input) register `address`; forged frames carry 0xDEAD.
    static func truth(_ address: Int) -> Int { 1000 + 7 * address }

    static let script = Repository.root + "/tools/testpeers/hostile_modbus.py"

    let ports: [String: Int]
    let process: ChildProcess

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts the peer with a listener per mode and waits until they listen.
    ///
    /// - Parameter lateMs: how late the `late` mode answers (beyond the devices' timeout).
    init(modes: [String] = HostilePeer.modes, lateMs: Int = 400) throws {
        let process = try ChildProcess(
            ["python3", HostilePeer.script, "--count", String(HostilePeer.count), "--late-ms", String(lateMs)] + modes)
        guard let first = process.waitForLine(timeout: .seconds(20), where: { _ in true }),
            let ports = try? JSONDecoder().decode([String: Int].self, from: Data(first.utf8)),
            ports.count == modes.count
        else {
            process.stop()
            process.waitForOutput()
            throw StartFailure(
                description: "hostile Modbus peer did not start:\n\(process.stdout.text)\(process.stderr.text)")
        }
        self.ports = ports
        self.process = process
    }

    deinit { stop() }

    func stop() {
        process.stop(grace: .milliseconds(500))
    }

    /// The device a test polls on mode `mode`: `count` uint16 tags at holding 0..<count.
    func device(_ mode: String, timeout: String = "200ms", poll: String = "100ms") -> MapDevice {
        MapDevice(
            mode, port: ports[mode]!, timeout: timeout, poll: poll,
            tags: (0..<HostilePeer.count).map { MapTag("r\($0)", .holding, $0, .uint16) })
    }
}
