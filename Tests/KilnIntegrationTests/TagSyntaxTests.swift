import Foundation
import Testing

/// One tag syntax in every command that takes `--tag` (`read`, `replay`, `export`), through the
/// built binary: `DEVICE/TAG`; a bare `TAG` where one device has it; an ambiguous bare name is
/// refused with the candidates; an unknown name gets the nearest one.
struct TagSyntaxTests {
    /// Devices on a port nobody listens on: `read` and `run` get "connection refused" at once,
    /// which is all these tests need (which tags were selected, not their values). Each numeric
    /// tag has its own range, so the statuses `replay` gives the trace 20, 21 tell which tag ran.
    static func plant(port: Int) -> String {
        """
        devices:
          - name: boiler-1
            host: 127.0.0.1
            port: \(port)
            tags:
              - { name: supply_temp, register: holding, address: 0, type: float32, range: [0, 20.5] }
              - { name: delta, register: holding, address: 2, type: int16 }
          - name: pump-1
            host: 127.0.0.1
            port: \(port)
            tags:
              - { name: speed, register: holding, address: 0, type: uint16, range: [20.5, 100] }
          - name: pump-2
            host: 127.0.0.1
            port: \(port)
            unit: 2
            tags:
              - { name: speed, register: holding, address: 0, type: uint16, range: [0, 5] }
              - { name: motor_temp, register: holding, address: 1, type: int16 }

        """
    }

    /// The statuses `replay` gives the readings 20 and 21 for each tag, by the tag's range.
    static let replaySignatures: [String: String] = [
        "Good,BadSensorFailure": "boiler-1/supply_temp",
        "BadSensorFailure,Good": "pump-1/speed",
        "BadSensorFailure,BadSensorFailure": "pump-2/speed",
        "Good,Good": "pump-2/motor_temp",
    ]

    /// What each command does with a `--tag`: the tags it selected, or its refusal.
    enum Outcome: Equatable, CustomStringConvertible {
        case selects([String])
        case refuses(mentioning: [String])

        var description: String {
            switch self {
            case .selects(let keys): "selects \(keys)"
            case .refuses(let words): "refuses, mentioning \(words)"
            }
        }
    }

    /// The same names, and what every command must make of them.
    static let cases: [(tag: String, outcome: Outcome)] = [
        ("pump-2/speed", .selects(["pump-2/speed"])),
        ("supply_temp", .selects(["boiler-1/supply_temp"])),
        ("motor_temp", .selects(["pump-2/motor_temp"])),
        ("speed", .refuses(mentioning: ["'speed'", "pump-1/speed", "pump-2/speed", "DEVICE/TAG"])),
        ("suply_temp", .refuses(mentioning: ["'suply_temp'", "did you mean 'boiler-1/supply_temp'?"])),
        ("pump-2/sped", .refuses(mentioning: ["'pump-2/sped'", "did you mean 'pump-2/speed'?"])),
        ("pump-3/speed", .refuses(mentioning: ["no device named 'pump-3'", "did you mean 'pump-1'?"])),
    ]

    func check(
        _ command: String, tag: String, expected: Outcome, _ result: KilnCLI.Result, selected: () throws -> [String]
    )
        throws
    {
        switch expected {
        case .selects(let keys):
            #expect(result.exitCode != 1, "kiln \(command) --tag \(tag): \(result)")
            let got = try selected()
            #expect(got == keys, "kiln \(command) --tag \(tag) selected \(got): \(result)")
        case .refuses(let words):
            #expect(result.exitCode == 1, "kiln \(command) --tag \(tag): \(result)")
            for word in words {
                #expect(result.stderr.contains(word), "kiln \(command) --tag \(tag): no \(word) in \(result.stderr)")
            }
            #expect(result.stdout.isEmpty, "kiln \(command) --tag \(tag): \(result.stdout)")
        }
    }

    @Test func readTakesEveryForm() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let map = try dir.write("plant.yaml", Self.plant(port: try Loopback.unusedPort()))
        for (tag, outcome) in Self.cases {
            let result = try KilnCLI.run(["read", map, "--json", "--tag", tag])
            try check("read", tag: tag, expected: outcome, result) { try ReadLine.parse(result.stdout).map(\.key) }
        }
    }

    @Test func readNarrowsBareNamesAndGlobsToTheChosenDevices() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let map = try dir.write("plant.yaml", Self.plant(port: try Loopback.unusedPort()))

        let narrowed = try KilnCLI.run(["read", map, "--json", "--device", "pump-2", "--tag", "speed"])
        #expect(narrowed.exitCode == 2, "read, but the devices are down: \(narrowed)")
        #expect(try ReadLine.parse(narrowed.stdout).map(\.key) == ["pump-2/speed"])

        let glob = try KilnCLI.run(["read", map, "--json", "--tag", "pump-*/speed"])
        #expect(try ReadLine.parse(glob.stdout).map(\.key) == ["pump-1/speed", "pump-2/speed"], "\(glob)")

        let outside = try KilnCLI.run(["read", map, "--device", "pump-1", "--tag", "boiler-1/delta"])
        #expect(outside.exitCode == 1 && outside.stderr.contains("--device"), "\(outside)")
    }

    @Test func replayTakesEveryForm() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let map = try dir.write("plant.yaml", Self.plant(port: 1))
        let trace = try dir.write("trace.csv", "ts,value\n1,20\n2,21\n")
        for (tag, outcome) in Self.cases {
            let result = try KilnCLI.run(["replay", map, "--tag", tag, "--input", trace])
            // ts,raw,value,status,fault: the statuses tell which tag's range judged the readings.
            try check("replay", tag: tag, expected: outcome, result) {
                let statuses = result.stdoutLines.dropFirst().map {
                    $0.split(separator: ",", omittingEmptySubsequences: false)[3]
                }
                return [Self.replaySignatures[statuses.joined(separator: ","), default: "unknown: \(result.stdout)"]]
            }
        }
    }

    @Test func exportTakesEveryForm() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("plant.yaml", Self.plant(port: try Loopback.unusedPort()))
        let config = try dir.write("kiln.yaml", "devices:\n  - plant.yaml\nhistorian:\n  path: history.sqlite\n")
        // Half a second against devices that refuse: every tag gets a (bad) sample in the historian.
        let run = try KilnCLI.run(["run", config, "--duration", "500ms", "--quiet"])
        #expect(run.exitCode == 0, "\(run)")
        for (tag, outcome) in Self.cases {
            let result = try KilnCLI.run(["export", config, "--from", "-1h", "--tag", tag])
            try check("export", tag: tag, expected: outcome, result) {
                // ts,device,tag,...: the tags of the rows, each once (lines end in CRLF, as CSV's do).
                var keys: [String] = []
                for line in result.stdout.split(whereSeparator: \.isNewline).dropFirst() {
                    let cells = line.split(separator: ",", omittingEmptySubsequences: false)
                    let key = "\(cells[1])/\(cells[2])"
                    if !keys.contains(key) { keys.append(key) }
                }
                return keys
            }
        }
    }
}
