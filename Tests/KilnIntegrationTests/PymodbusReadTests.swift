import Foundation
import KilnCore
import KilnPoller
import Testing

/// Kiln against an independent Modbus/TCP implementation (pymodbus), whose register encodings
/// come from Python's struct.pack rather than Kiln's encoder.
struct PymodbusReadTests {
    // MARK: - Every type and byte order

    @Test func cliReadsEveryTypeAndByteOrder() throws {
        let peer = try PymodbusPeer([1: TypeMatrix.peerUnit])
        defer { peer.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let map = try dir.write(DeviceMap([TypeMatrix.mapDevice(port: peer.port)]))

        let result = try KilnCLI.run(["read", map, "--json"])
        #expect(result.exitCode == 0, "\(result)")
        let lines = try ReadLine.parse(result.stdout)
        #expect(lines.map(\.tag) == TypeMatrix.cases.map(\.tag.name), "one line per tag, in map order")
        let byTag = Dictionary(lines.map { ($0.tag, $0) }, uniquingKeysWith: { first, _ in first })
        for c in TypeMatrix.cases {
            let line = try #require(byTag[c.tag.name], "no line for \(c.tag.name)")
            #expect(line.device == TypeMatrix.device)
            #expect(
                line.status == "Good" && line.quality == "good", "\(c.tag.name): \(line.status) \(line.reason ?? "")")
            #expect(line.value.matches(c.shown), "\(c.tag.name): read \(line.value), expected \(c.shown)")
            #expect(line.unit == c.tag.unit, "\(c.tag.name)")
            #expect(line.reason == nil)
            #expect(line.ts.hasSuffix("Z") && line.ts.count == "2026-11-25T07:38:30.123456Z".count, "\(line.ts)")
        }
    }

    @Test func libraryReadsEveryTypeAndByteOrder() throws {
        let peer = try PymodbusPeer([1: TypeMatrix.peerUnit])
        defer { peer.stop() }
        let gateway = DeviceMap([TypeMatrix.mapDevice(port: peer.port)]).gateway

        let samples = Poller.readOnce(gateway, logger: TestLogging.silent)
        #expect(samples.map(\.tag) == Array(TypeMatrix.cases.indices))
        for sample in samples {
            let c = TypeMatrix.cases[sample.tag]
            #expect(sample.device == 0)
            #expect(sample.status == .good, "\(c.tag.name): \(sample.status) \(sample.reason ?? "")")
            #expect(sample.value == c.sample, "\(c.tag.name): read \(String(describing: sample.value))")
        }
    }

    // MARK: - Illegal address inside one merged block

    /// Holding 0…15 read as one block; the peer has no registers 4 and 12, so `ghost` (4) and
    /// `half` (an int32 at 11…12) are refused while every neighbour in the block reads good.
    static let holeUnit = PeerUnit(
        holding: PeerTable(
            size: 16, holes: [4, 12],
            entries: [
                .words(0, [100]), .words(2, [102]), .words(6, [106]), .words(8, [108]), .words(10, [110]),
                .words(13, [113]), .words(15, [115]),
            ]))

    static func holeMap(port: Int) -> MapDevice {
        MapDevice(
            "holey", port: port, timeout: "500ms",
            tags: [
                MapTag("r0", .holding, 0, .uint16), MapTag("r2", .holding, 2, .uint16),
                MapTag("ghost", .holding, 4, .uint16), MapTag("r6", .holding, 6, .uint16),
                MapTag("r8", .holding, 8, .uint16), MapTag("r10", .holding, 10, .uint16),
                MapTag("half", .holding, 11, .int32), MapTag("r13", .holding, 13, .uint16),
                MapTag("r15", .holding, 15, .uint16),
            ])
    }

    static let holeGood: [String: UInt64] = [
        "r0": 100, "r2": 102, "r6": 106, "r8": 108, "r10": 110, "r13": 113, "r15": 115,
    ]

    @Test func illegalAddressIsolatesTheTagInItsBlock() throws {
        let peer = try PymodbusPeer([1: Self.holeUnit], logRequests: true)
        defer { peer.stop() }
        let device = Self.holeMap(port: peer.port).config
        #expect(ReadPlanner.plan(device).flatMap(\.blocks).count == 1, "the test needs the tags in one block")

        let session = try DeviceSession(index: 0, device: device, logger: TestLogging.silent)
        defer { session.close() }
        for cycle in 1...2 {
            let samples = session.readAll()
            #expect(samples.count == device.tags.count)
            for sample in samples {
                let tag = device.tags[sample.tag]
                if let expected = Self.holeGood[tag.name] {
                    #expect(
                        sample.status == .good, "cycle \(cycle) \(tag.name): \(sample.status) \(sample.reason ?? "")")
                    #expect(sample.value == .uint(expected), "cycle \(cycle) \(tag.name)")
                } else {
                    #expect(sample.status == .badConfigurationError, "cycle \(cycle) \(tag.name)")
                    #expect(sample.value == nil)
                    #expect(sample.reason?.contains("illegal data address") == true, "\(sample.reason ?? "no reason")")
                }
            }
        }
        // The split sticks: the second cycle reads the isolated blocks without splitting again.
        let blocks = session.scanClasses.flatMap(\.blocks)
        #expect(blocks.filter { $0.tags.count == 1 }.map { device.tags[$0.tags[0]].name }.contains("ghost"))
        #expect(blocks.flatMap(\.tags).sorted() == Array(device.tags.indices))
    }

    @Test func cliMarksTheIllegalAddressTagBadAndItsNeighboursGood() throws {
        let peer = try PymodbusPeer([1: Self.holeUnit])
        defer { peer.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let map = try dir.write(DeviceMap([Self.holeMap(port: peer.port)]))

        let result = try KilnCLI.run(["read", map, "--json"])
        #expect(result.exitCode == 2, "some tags bad: \(result)")
        let lines = try ReadLine.parse(result.stdout)
        #expect(lines.count == 9)
        for line in lines {
            if let expected = Self.holeGood[line.tag] {
                #expect(line.status == "Good", "\(line.tag): \(line.status) \(line.reason ?? "")")
                #expect(line.value.matches(.uint(expected)), "\(line.tag): \(line.value)")
            } else {
                #expect(line.status == "BadConfigurationError", "\(line.tag)")
                #expect(line.quality == "bad")
                #expect(line.value == .null)
                #expect(line.reason?.contains("illegal data address") == true, "\(line.reason ?? "no reason")")
            }
        }
    }

    // MARK: - Dead devices cost their timeout, and no one else's

    /// A live device, one that refuses connections, one that accepts but never answers and one
    /// whose connection attempts go unanswered, each with several blocks and two scan classes;
    /// 300 ms timeouts.
    static func deadAndAliveMap(livePort: Int, refusedPort: Int, silentPort: Int, offlinePort: Int) -> DeviceMap {
        func tags() -> [MapTag] {
            [
                MapTag("a", .holding, 0, .uint16), MapTag("b", .holding, 40, .uint16),
                MapTag("c", .input, 0, .uint16, poll: "250ms"), MapTag("d", .coil, 0, .bool),
            ]
        }
        return DeviceMap([
            MapDevice("refused", port: refusedPort, timeout: "300ms", tags: tags()),
            MapDevice("alive", port: livePort, timeout: "300ms", tags: tags()),
            MapDevice("hung", port: silentPort, timeout: "300ms", tags: tags()),
            MapDevice("offline", port: offlinePort, timeout: "300ms", tags: tags()),
        ])
    }

    static let aliveUnit = PeerUnit(
        holding: PeerTable(size: 50, entries: [.words(0, [7]), .words(40, [40])]),
        input: PeerTable(size: 4, entries: [.words(0, [9])]), coil: PeerTable(size: 16, entries: [.bits(0, [true])]))
    static let aliveValues: [String: JSONValue] = ["a": .int(7), "b": .int(40), "c": .int(9), "d": .bool(true)]

    /// 2 × 300 ms (connect time-out plus response timeout) plus slack for process start-up.
    static let deadDeviceBound: Duration = .milliseconds(1500)

    @Test func cliDeadDeviceCostsNoMoreThanItsTimeout() throws {
        let peer = try PymodbusPeer([1: Self.aliveUnit])
        defer { peer.stop() }
        let hung = try SilentListener()
        defer { hung.close() }
        let offline = try SilentListener(backlogFull: true)
        defer { offline.close() }
        let refused = try Loopback.unusedPort()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let map = try dir.write(
            Self.deadAndAliveMap(
                livePort: peer.port, refusedPort: refused, silentPort: hung.port, offlinePort: offline.port))

        let result = try KilnCLI.run(["read", map, "--json"])
        #expect(result.exitCode == 2, "\(result)")
        #expect(result.elapsed < Self.deadDeviceBound, "kiln read took \(result.elapsed)")
        let lines = try ReadLine.parse(result.stdout)
        #expect(lines.count == 16)
        for line in lines {
            switch line.device {
            case "alive":
                #expect(line.status == "Good", "\(line.key): \(line.status) \(line.reason ?? "")")
                #expect(line.value.matches(Self.aliveValues[line.tag]!), "\(line.key): \(line.value)")
            case "refused":
                #expect(line.quality == "bad" && line.value == .null, "\(line.key)")
                #expect(line.status == "BadNotConnected", "\(line.key)")
                #expect(line.reason?.lowercased().contains("refused") == true, "\(line.reason ?? "no reason")")
            case "hung":
                #expect(line.quality == "bad" && line.value == .null, "\(line.key)")
                #expect(line.status == "BadTimeout", "\(line.key)")
                #expect(line.reason == "no reply within the response timeout")
            default:
                #expect(line.device == "offline")
                #expect(line.quality == "bad" && line.value == .null, "\(line.key)")
                #expect(line.status == "BadNotConnected", "\(line.key)")
                #expect(line.reason?.hasPrefix("cannot connect") == true, "\(line.reason ?? "no reason")")
                #expect(line.reason?.contains("timed out") == true, "\(line.reason ?? "no reason")")

            }
        }
    }

    @Test func libraryDeadDeviceCostsNoMoreThanItsTimeout() throws {
        let peer = try PymodbusPeer([1: Self.aliveUnit])
        defer { peer.stop() }
        let hung = try SilentListener()
        defer { hung.close() }
        let offline = try SilentListener(backlogFull: true)
        defer { offline.close() }
        let refused = try Loopback.unusedPort()
        let map = Self.deadAndAliveMap(
            livePort: peer.port, refusedPort: refused, silentPort: hung.port, offlinePort: offline.port)

        let started = ContinuousClock.now
        let samples = Poller.readOnce(map.gateway, logger: TestLogging.silent)
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .milliseconds(900), "readOnce took \(elapsed)")
        #expect(samples.count == 16)
        for sample in samples {
            let name = map.devices[sample.device].name
            let tag = map.devices[sample.device].tags[sample.tag].name
            switch name {
            case "alive": #expect(sample.status == .good, "\(name)/\(tag): \(sample.status) \(sample.reason ?? "")")
            case "refused", "offline": #expect(sample.status == .badNotConnected, "\(name)/\(tag): \(sample.status)")
            default: #expect(sample.status == .badTimeout, "\(name)/\(tag): \(sample.status)")
            }
            if name != "alive" { #expect(sample.value == nil && sample.reason != nil) }
        }
    }
}
