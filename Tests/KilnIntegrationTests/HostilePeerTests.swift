import Foundation
import KilnCore
import Testing

/// `kiln read` and `kiln run` (with its historian) against a Modbus peer that misbehaves on
/// purpose (tools/testpeers/hostile_modbus.py): frames before the first request and between
/// polls, wrong ids, units, functions and lengths, garbage, resets, late and duplicated replies,
/// and servers that speak SSH, HTTP or TLS. Every forged frame carries 0xDEAD, which no register
/// holds: no Good value may ever differ from the true registers, and a healthy pymodbus device
/// beside them stays Good with its exact values.
struct HostilePeerTests {
    static let healthyValues: [UInt16] = [4242, 17, 65535, 0]

    static func healthyDevice(port: Int) -> MapDevice {
        MapDevice(
            "healthy", port: port, timeout: "200ms", poll: "100ms",
            tags: (0..<healthyValues.count).map { MapTag("h\($0)", .holding, $0, .uint16) })
    }

    static func healthyPeer() throws -> PymodbusPeer {
        try PymodbusPeer([1: PeerUnit(holding: PeerTable(size: 8, entries: [.words(0, healthyValues)]))])
    }

    /// The true value of a tag of the hostile or healthy device, by its name.
    static func truth(device: String, tag: String) -> Int? {
        guard let index = Int(tag.dropFirst()) else { return nil }
        if device == "healthy" { return Int(healthyValues[index]) }
        return HostilePeer.truth(index)
    }

    /// Modes whose first request is answered truly in the end (after forged frames, if any):
    /// `kiln read` reads them Good. The others cannot be read at all.
    static let readableModes: Set<String> = [
        "honest", "early", "between", "wrong-tid", "wrong-unit", "wrong-fc", "wrong-count", "garbage", "reset",
        "late", "duplicate",
    ]

    @Test(.timeLimit(.minutes(2)))
    func readNeverReportsAForgedValueAsGood() throws {
        let hostile = try HostilePeer()
        defer { hostile.stop() }
        let healthy = try Self.healthyPeer()
        defer { healthy.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }

        for mode in HostilePeer.modes {
            let map = try dir.write(
                DeviceMap([hostile.device(mode), Self.healthyDevice(port: healthy.port)]), as: "\(mode).yaml")
            let result = try KilnCLI.run(["read", map, "--json"], timeout: .seconds(20))
            #expect(result.exitCode == 0 || result.exitCode == 2, "\(mode): \(result)")
            #expect(result.elapsed < .seconds(5), "\(mode): took \(result.elapsed)")
            let lines = try ReadLine.parse(result.stdout)
            #expect(lines.count == HostilePeer.count + Self.healthyValues.count, "\(mode): \(result)")
            for line in lines {
                let truth = try #require(Self.truth(device: line.device, tag: line.tag))
                if line.status == "Good" {
                    #expect(
                        line.value.matches(.int(Int64(truth))),
                        "\(mode): \(line.key) read \(line.value), truth \(truth)")
                }
                if line.device == "healthy" {
                    #expect(line.status == "Good", "\(mode): \(line.key) \(line.status) \(line.reason ?? "")")
                } else if Self.readableModes.contains(mode) {
                    #expect(line.status == "Good", "\(mode): \(line.key) \(line.status) \(line.reason ?? "")")
                } else {
                    #expect(line.status == "BadCommunicationError", "\(mode): \(line.key) \(line.status)")
                }
            }
            if ["ssh", "http", "tls"].contains(mode) {
                let reason = lines.first { $0.device == mode }?.reason ?? ""
                #expect(
                    reason.contains("127.0.0.1:\(hostile.ports[mode]!) does not speak Modbus/TCP"), "\(mode): \(reason)"
                )
            }
            if ["early", "wrong-tid", "wrong-unit", "wrong-fc", "wrong-count"].contains(mode) {
                #expect(result.stderr.contains("answer no request; discarded"), "\(mode): \(result.stderr)")
            }
        }
        let ssh = try KilnCLI.run(
            ["read", try dir.write(DeviceMap([hostile.device("ssh")]), as: "ssh-table.yaml")], timeout: .seconds(20))
        #expect(ssh.stdout.contains("(its reply begins \"SSH-2.0-OpenSSH"), "\(ssh)")
    }

    /// One CSV row of `kiln export`.
    struct Row {
        var device: String
        var tag: String
        var value: String
        var raw: String
        var status: String
    }

    static func rows(_ csv: String) -> [Row] {
        csv.split(whereSeparator: \.isNewline).dropFirst().compactMap { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 6 else { return nil }
            return Row(device: f[1], tag: f[2], value: f[3], raw: f[4], status: f[5])
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func runStoresNoForgedValueAsGoodAndCountsTheDiscards() throws {
        let hostile = try HostilePeer()
        defer { hostile.stop() }
        let healthy = try Self.healthyPeer()
        defer { healthy.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try dir.write(
            DeviceMap(HostilePeer.modes.map { hostile.device($0) } + [Self.healthyDevice(port: healthy.port)]))
        let config = try dir.write(
            "kiln.yaml",
            """
            devices:
              - devices.yaml
            historian:
              path: history.db
              flush: 1s
            """)

        let run = try KilnCLI.run(["run", config, "--quiet", "--duration", "4s"], timeout: .seconds(40))
        #expect(run.exitCode == 0, "\(run)")
        #expect(run.stderr.contains("historian: "), "\(run.stderr)")
        // The devices that sent frames nobody asked for are named in the summary with their counts.
        for mode in ["early", "between", "wrong-tid", "wrong-unit", "wrong-fc", "wrong-count", "duplicate"] {
            let line = run.stderr.split(separator: "\n").first { $0.contains("kiln run: device \(mode) (") }
            let frames = line.flatMap { $0.split(separator: " ").drop { $0 != "sent" }.dropFirst().first }.flatMap {
                Int($0)
            }
            #expect((frames ?? 0) > 0, "\(mode): no discard count in the summary:\n\(run.stderr)")
        }
        // Frames sent between polls arrive on an idle connection: read there, counted as unasked.
        let between = run.stderr.split(separator: "\n").first { $0.contains("kiln run: device between (") }
        let unasked = between.flatMap { line in
            line.split(separator: "(").last?.split(separator: " ").first.flatMap { Int($0) }
        }
        #expect((unasked ?? 0) > 0, "between: no unasked frames counted: \(between ?? "no line")")
        #expect(!run.stderr.contains("kiln run: device honest ("), "\(run.stderr)")
        #expect(!run.stderr.contains("kiln run: device healthy ("), "\(run.stderr)")

        let integrity = try KilnCLI.run(["export", config, "--from", "-1h"], timeout: .seconds(30))
        #expect(integrity.exitCode == 0, "\(integrity)")
        let rows = Self.rows(integrity.stdout)
        #expect(rows.count > HostilePeer.modes.count, "\(integrity.stdout.prefix(2000))")
        var goodByDevice: [String: Int] = [:]
        for row in rows where row.status == "Good" {
            let truth = try #require(Self.truth(device: row.device, tag: row.tag), "\(row)")
            #expect(
                row.value == String(truth) && row.raw == String(truth),
                "\(row.device)/\(row.tag): \(row), truth \(truth)")
            goodByDevice[row.device, default: 0] += 1
        }
        #expect(rows.allSatisfy { $0.status == "Good" || $0.value.isEmpty || $0.status.hasPrefix("Uncertain") })
        #expect(goodByDevice["healthy", default: 0] >= Self.healthyValues.count, "\(goodByDevice)")
        #expect(
            rows.filter { $0.device == "healthy" && $0.status != "BadNoData" }.allSatisfy { $0.status == "Good" },
            "the healthy device stays Good")
        // The time after the last commit is not covered yet: each tag's raw export ends with one
        // BadNoData row, never a value.
        #expect(rows.filter { $0.status == "BadNoData" }.allSatisfy { $0.value.isEmpty })
        for mode in ["ssh", "http", "tls"] {
            #expect(goodByDevice[mode] == nil, "\(mode) stored Good rows")
        }
        #expect(goodByDevice["honest", default: 0] >= HostilePeer.count)
        // Every row of the file, read by sqlite3 itself: the file is whole.
        let check = try ChildProcess(["sqlite3", dir.path + "/history.db", "PRAGMA integrity_check"])
        #expect(check.wait(timeout: .seconds(10)) == .exited(0))
        check.waitForOutput()
        #expect(check.stdout.text == "ok\n", "\(check.stdout.text)\(check.stderr.text)")
    }
}
