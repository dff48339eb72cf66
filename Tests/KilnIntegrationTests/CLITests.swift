import Foundation
import KilnCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `kiln` executable as operators and scripts use it: exit codes, messages, output shapes,
/// signals.
struct CLITests {
    static let aliveUnit = PeerUnit(
        holding: PeerTable(
            size: 8,
            entries: [
                .typed(0, "float32", .double(21.5), order: "CDAB"), .typed(2, "int16", .int(-7)),
                .typed(3, "uint16", .uint(1234)),
            ]))

    static func alive(port: Int, poll: String = "100ms") -> MapDevice {
        MapDevice(
            "boiler-1", port: port, timeout: "300ms", poll: poll,
            tags: [
                MapTag("supply_temp", .holding, 0, .float32, order: "CDAB", unit: "degC"),
                MapTag("delta", .holding, 2, .int16),
                MapTag("flow_rate_long_name", .holding, 3, .uint16, scale: 0.5, unit: "m3/h"),
            ])
    }

    static func refused(port: Int) -> MapDevice {
        MapDevice("pump-7", port: port, timeout: "300ms", tags: [MapTag("speed", .holding, 0, .uint16, unit: "rpm")])
    }

    // MARK: - kiln read: exit status and selection

    @Test func readExitsZeroWhenEveryTagIsGood() throws {
        let peer = try PymodbusPeer([1: Self.aliveUnit])
        defer { peer.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let map = try dir.write(DeviceMap([Self.alive(port: peer.port)]))
        let result = try KilnCLI.run(["read", map, "--json"])
        #expect(result.exitCode == 0, "\(result)")
        #expect(try ReadLine.parse(result.stdout).map(\.status) == ["Good", "Good", "Good"])
    }

    @Test func readExitsTwoWhenSomeTagsAreBad() throws {
        let peer = try PymodbusPeer([1: Self.aliveUnit])
        defer { peer.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let map = try dir.write(
            DeviceMap([Self.alive(port: peer.port), Self.refused(port: try Loopback.unusedPort())]))
        let result = try KilnCLI.run(["read", map, "--json"])
        #expect(result.exitCode == 2, "\(result)")
        let lines = try ReadLine.parse(result.stdout)
        #expect(lines.map(\.quality) == ["good", "good", "good", "bad"])
    }

    @Test func readExitsOneOnConfigErrors() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let missing = try KilnCLI.run(["read", dir.path + "/no-such-map.yaml"])
        #expect(missing.exitCode == 1, "\(missing)")
        #expect(missing.stderr.contains("no-such-map.yaml"), "names the file: \(missing.stderr)")

        let broken = try dir.write("broken.yaml", "devices:\n  - name: x\n    host: 127.0.0.1\n    tags: [\n")
        let result = try KilnCLI.run(["read", broken])
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.stderr.contains("broken.yaml:"), "FILE:LINE:COLUMN diagnostics: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test(.bug(id: "usage-exit-code", "ArgumentParser exits 64 on usage errors; the contract says 1"))
    func readExitsOneOnUsageErrors() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let map = try dir.write(DeviceMap([Self.refused(port: 1)]))
        for arguments in [["read"], ["read", map, "--no-such-flag"]] {
            let result = try KilnCLI.run(arguments)
            #expect(result.stderr.contains("Usage") || result.stderr.contains("rror"), "\(result)")
            #expect(result.exitCode == 1, "kiln \(arguments.joined(separator: " ")): \(result.status)")

        }
    }

    /// `kiln --version` prints the release `/api/v1/status` reports (one constant), exit 0.
    @Test func versionIsPrintedAndIsTheOneTheAPIReports() throws {
        let result = try KilnCLI.run(["--version"])
        #expect(result.exitCode == 0, "\(result)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == KilnVersion.text, "\(result)")
        #expect(KilnVersion.text.split(separator: ".").count == 3)
    }

    @Test func unknownDeviceOrTagIsAUsageError() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let map = try dir.write(DeviceMap([Self.alive(port: 1), Self.refused(port: 1)]))

        let device = try KilnCLI.run(["read", map, "--device", "boiler-9"])
        #expect(device.exitCode == 1, "\(device)")
        #expect(device.stderr.contains("no device named 'boiler-9'"), "\(device.stderr)")
        #expect(device.stdout.isEmpty)

        let tag = try KilnCLI.run(["read", map, "--device", "boiler-1", "--tag", "speed"])
        #expect(tag.exitCode == 1, "\(tag)")
        #expect(tag.stderr.contains("no tag named 'speed'"), "only boiler-1 is selected: \(tag.stderr)")
        #expect(tag.stdout.isEmpty)
    }

    @Test func deviceAndTagOptionsSelect() throws {
        let peer = try PymodbusPeer([1: Self.aliveUnit])
        defer { peer.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let map = try dir.write(
            DeviceMap([Self.alive(port: peer.port), Self.refused(port: try Loopback.unusedPort())]))

        let one = try KilnCLI.run(["read", map, "--device", "boiler-1", "--tag", "delta", "--json"])
        #expect(one.exitCode == 0, "the bad device is not selected: \(one)")
        let lines = try ReadLine.parse(one.stdout)
        #expect(lines.map(\.key) == ["boiler-1/delta"])
        #expect(lines.first?.value == .int(-7))
    }

    // MARK: - kiln read: the table

    @Test func readTableIsAlignedUnderItsHeader() throws {
        let peer = try PymodbusPeer([1: Self.aliveUnit])
        defer { peer.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let map = try dir.write(
            DeviceMap([Self.alive(port: peer.port), Self.refused(port: try Loopback.unusedPort())]))
        let result = try KilnCLI.run(["read", map])
        #expect(result.exitCode == 2, "\(result)")

        let lines = result.stdoutLines
        let header = try #require(lines.first)
        #expect(header.split(separator: " ") == ["DEVICE", "TAG", "VALUE", "UNIT", "STATUS", "REASON"])
        let rows = Array(lines.dropFirst())
        // (device, tag, value, unit, status, reason) as the table must show them.
        let expected: [[String]] = [
            ["boiler-1", "supply_temp", "21.5", "degC", "Good", ""],
            ["boiler-1", "delta", "-7", "", "Good", ""],
            ["boiler-1", "flow_rate_long_name", "617", "m3/h", "Good", ""],
            ["pump-7", "speed", "-", "rpm", "BadNotConnected", "cannot connect: Connection refused"],
        ]
        #expect(rows.count == expected.count, "\(result.stdout)")
        func column(_ name: String) throws -> Int {
            try #require(header.range(of: name)).lowerBound.utf16Offset(in: header)
        }
        let leftColumns = [
            try column("DEVICE"), try column("TAG"), -1, try column("UNIT"), try column("STATUS"),
            try column("REASON"),
        ]
        let valueEnd = try column("VALUE") + "VALUE".count
        for (row, cells) in zip(rows, expected) {
            let chars = Array(row)
            for (c, cell) in cells.enumerated() where !cell.isEmpty {
                if c == 2 {
                    // VALUE is right-aligned: the number ends where the header's VALUE ends.
                    let start = valueEnd - cell.count
                    #expect(
                        start >= 0 && chars.count >= valueEnd && String(chars[start..<valueEnd]) == cell
                            && chars[start - 1] == " ",
                        "value \(cell) not right-aligned in \(row)")
                } else {
                    let start = leftColumns[c]
                    let end = start + cell.count
                    #expect(
                        chars.count >= end && String(chars[start..<end]) == cell
                            && (end == chars.count || chars[end] == " ") && (start == 0 || chars[start - 1] == " "),
                        "\(cell) not under its header in '\(row)'")
                }
            }
        }
        #expect(rows.allSatisfy { !$0.hasSuffix(" ") }, "no trailing blanks")
    }

    // MARK: - kiln probe

    @Test func probeShowsTheFourByteOrdersSideBySide() throws {
        let peer = try PymodbusPeer([1: Self.aliveUnit])
        defer { peer.stop() }
        let result = try KilnCLI.run([
            "probe", "--host", Loopback.host, "--port", String(peer.port), "--register", "holding", "--address", "0",
            "--count", "4",
        ])
        #expect(result.exitCode == 0, "\(result)")
        let lines = result.stdoutLines
        let orderHeaders = lines.filter { $0.contains("TYPE") }
        #expect(orderHeaders.count == 2, "a 32-bit and a 64-bit section: \(result.stdout)")
        for header in orderHeaders {
            let words = header.split(separator: " ").map(String.init)
            #expect(Array(words.suffix(4)) == ["ABCD", "CDAB", "BADC", "DCBA"], "\(header)")
        }
        // Registers 0-1 hold 21.5 as CDAB: the CDAB column of the first float32 row says so.
        let float = try #require(lines.first { $0.split(separator: " ").first == "float32" })
        let cells = float.split(separator: " ").map(String.init)
        #expect(cells.count == 5 && cells[2] == "21.5*", "\(float)")
        #expect(lines.contains { $0.hasPrefix("0 ") && $0.contains("0x0000") }, "raw registers listed")
    }

    @Test func probeOfAnUnreachableDeviceFailsWithAMessage() throws {
        let port = try Loopback.unusedPort()
        let result = try KilnCLI.run([
            "probe", "--host", Loopback.host, "--port", String(port), "--register", "holding", "--address", "0",
        ])
        #expect(result.exitCode != 0, "\(result)")
        #expect(result.stderr.contains("refused"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    // MARK: - kiln simulate

    /// A port something else holds: `kiln simulate` stops at once, naming it, instead of serving
    /// the other ports while a client reads whatever holds this one.
    @Test func simulateOnATakenPortExitsNamingThePort() throws {
        let holder = try SilentListener()
        defer { holder.close() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var taken = Self.refused(port: holder.port)
        taken.name = "pump-8"
        let map = try dir.write(DeviceMap([Self.alive(port: try Loopback.unusedPort()), taken]))
        let result = try KilnCLI.run(["simulate", map], timeout: .seconds(10))
        #expect(result.exitCode == 1, "\(result)")
        #expect(result.stderr.contains("127.0.0.1:\(holder.port)"), "names the port: \(result.stderr)")
        #expect(result.stderr.contains("in use"), "\(result.stderr)")
        #expect(!result.stdout.contains("serving"), "serves nothing: \(result.stdout)")
    }

    // MARK: - kiln run

    /// `kiln run: N devices, R requests, F failed, O overruns, D samples dropped in T`
    static func summary(_ stderr: String) -> (devices: Int, requests: Int, failed: Int, dropped: Int)? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("kiln run: ") }) else { return nil }
        let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard numbers.count >= 5, line.contains(" devices, "), line.contains(" requests, "),
            line.contains(" failed, "), line.contains(" overruns, "), line.contains(" samples dropped in ")
        else { return nil }
        return (numbers[0], numbers[1], numbers[2], numbers[4])
    }

    @Test func runForADurationExitsZeroWithASummary() throws {
        let peer = try PymodbusPeer([1: Self.aliveUnit])
        defer { peer.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let map = try dir.write(DeviceMap([Self.alive(port: peer.port)]))
        let result = try KilnCLI.run(["run", map, "--duration", "2s", "--json"], timeout: .seconds(10))
        #expect(result.exitCode == 0, "\(result)")
        #expect(result.elapsed >= .seconds(2) && result.elapsed < .seconds(5), "ran \(result.elapsed)")
        let summary = try #require(Self.summary(result.stderr), "no summary line: \(result.stderr)")
        #expect(summary.devices == 1)
        #expect(summary.requests >= 10, "about 20 cycles at 100 ms: \(result.stderr)")
        #expect(summary.failed == 0 && summary.dropped == 0)
        let lines = try ReadLine.parse(result.stdout)
        #expect(lines.count >= 30 && lines.allSatisfy { $0.status == "Good" }, "samples as JSON lines")
    }

    /// SIGTERM stops `kiln run` cleanly and promptly, even with a device that never answers.
    @Test func runStopsPromptlyOnSIGTERM() throws {
        let peer = try PymodbusPeer([1: Self.aliveUnit])
        defer { peer.stop() }
        let hung = try SilentListener()
        defer { hung.close() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var silent = Self.refused(port: hung.port)
        silent.name = "silent"
        silent.timeout = "500ms"
        silent.poll = "500ms"
        let map = try dir.write(DeviceMap([Self.alive(port: peer.port), silent]))

        let child = try KilnCLI.start(["run", map, "--json"])
        let polling = child.waitForLine(timeout: .seconds(10)) { $0.contains("\"status\": \"Good\"") }
        #expect(polling != nil, "kiln run printed no good sample: \(child.stderr.text)")
        let signalled = ContinuousClock.now
        child.signal(SIGTERM)
        let status = child.wait(timeout: .seconds(5))
        let took = ContinuousClock.now - signalled
        child.waitForOutput()
        #expect(status == .exited(0), "\(String(describing: status)): \(child.stderr.text)")
        #expect(took < .seconds(2), "took \(took) to stop")
        #expect(Self.summary(child.stderr.text)?.devices == 2, "summary: \(child.stderr.text)")
    }

    /// A device polled every 4 s sleeps to its next deadline; SIGTERM must wake it, not wait.
    @Test(.bug(id: "poller-wake-signal-blocked", "poller threads inherit the cooperative pool's blocked SIGUSR2"))
    func runStopsPromptlyOnSIGTERMDuringALongPollPeriod() throws {
        let peer = try PymodbusPeer([1: Self.aliveUnit])
        defer { peer.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var sleepy = Self.refused(port: peer.port)
        sleepy.name = "sleepy"
        sleepy.poll = "4s"
        let map = try dir.write(DeviceMap([Self.alive(port: peer.port), sleepy]))

        let child = try KilnCLI.start(["run", map, "--json"])
        let polled = child.waitForLine(timeout: .seconds(10)) {
            $0.contains("\"device\": \"sleepy\"") && $0.contains("\"status\": \"Good\"")
        }
        #expect(polled != nil, "the 4 s device was never read: \(child.stderr.text)")
        let signalled = ContinuousClock.now
        child.signal(SIGTERM)
        let status = child.wait(timeout: .seconds(2))
        let took = ContinuousClock.now - signalled
        #expect(status == .exited(0), "still running \(took) after SIGTERM")

    }
}
