import KilnCore
import Testing

@testable import KilnPoller

/// Several devices on one poller thread: each keeps its own schedule, timeouts and back-off,
/// so a hung or unreachable device in the group delays none of the others.
struct PollGroupTests {
    static func device(_ name: String, host: String = Loopback.host, port: Int = 502) -> DeviceConfig {
        DeviceConfig(
            name: name, host: host, port: port,
            tags: [TagConfig(name: "v", register: .holding, address: 0, type: .uint16)])
    }

    @Test func devicesAreDealtEvenlyToGroupsAndANamedHostPollsAlone() {
        var devices = (0..<60).map { Self.device("d\($0)") }
        devices.insert(Self.device("named", host: "plc-7.example"), at: 10)
        let pollers = devices.enumerated().map { DevicePoller(index: $0.offset, device: $0.element) }

        let groups = Poller.group(pollers, perThread: 25)
        #expect(groups.map(\.count) == [1, 20, 20, 20])
        #expect(groups[0][0].device.name == "named")
        let numeric = Array(0..<10) + Array(11..<61)
        #expect(groups[1...].flatMap { $0 }.map(\.index).sorted() == numeric, "each device once")
        // Dealt in turn: each group's devices span the whole list, so their phases span the period.
        #expect(groups[1].map(\.index) == stride(from: 0, to: 60, by: 3).map { numeric[$0] })
        #expect(groups[3].map(\.index) == stride(from: 2, to: 60, by: 3).map { numeric[$0] })

        // The policy does not change the grouping: every numeric host of a plant this size on one thread.
        let all = Poller.group(pollers, perThread: Poller.devicesPerThread)
        #expect(all.map(\.count) == [1, 60])
    }

    /// Two good devices share a thread with a hung one (it takes requests, never answers), one
    /// that is off the network (connecting times out) and one that refuses connections.
    @Test func aHungOrUnreachableDeviceDelaysNoOtherOnItsThread() throws {
        let value: (UInt16) -> PeerUnit = { PeerUnit(holding: PeerTable(size: 4, entries: [.words(0, [$0])])) }
        let peer = try PymodbusPeer([
            1: value(11), 2: value(22), 3: PeerUnit(holding: PeerTable(size: 4), silent: true),
        ])
        defer { peer.stop() }
        let offline = try SilentListener(backlogFull: true)
        defer { offline.close() }
        let refused = try Loopback.unusedPort()
        let tag = [MapTag("v", .holding, 0, .uint16)]
        let map = DeviceMap([
            MapDevice("hung", port: peer.port, unit: 3, timeout: "300ms", poll: "100ms", tags: tag),
            MapDevice("good1", port: peer.port, unit: 1, timeout: "300ms", poll: "100ms", tags: tag),
            MapDevice("offline", port: offline.port, timeout: "300ms", poll: "100ms", tags: tag),
            MapDevice("good2", port: peer.port, unit: 2, timeout: "300ms", poll: "100ms", tags: tag),
            MapDevice("refused", port: refused, timeout: "300ms", poll: "100ms", tags: tag),
        ])
        let poller = Poller(config: map.gateway, logger: TestLogging.silent)
        #expect(poller.groups.count == 1, "all five on one thread")
        try poller.start()
        defer { poller.stop() }
        let stream = SampleStream(poller.queue)
        #expect(stream.next(within: .seconds(3)) { $0.device == 3 && $0.status == .good } != nil)

        let before = poller.statistics
        let startIndex = stream.samples.count
        let started = ContinuousClock.now
        stream.collect(for: .seconds(2))
        let elapsed = ContinuousClock.now - started
        let after = poller.statistics
        let window = stream.samples[startIndex...]

        let nominal = elapsed / .milliseconds(100)
        for (device, value) in [(1, UInt64(11)), (3, 22)] {
            let good = window.filter { $0.device == device && $0.status == .good }
            #expect(Double(good.count) >= 0.8 * nominal, "device \(device): \(good.count) good samples in \(elapsed)")
            #expect(good.allSatisfy { $0.value == .uint(value) })
            #expect(Double(after[device].cycles - before[device].cycles) >= 0.8 * nominal)
            #expect(after[device].overruns == 0, "device \(device) overran")
        }
        #expect(window.contains { $0.device == 0 && $0.status == .badTimeout }, "the hung device times out")
        #expect(window.filter { $0.device == 0 }.allSatisfy { $0.status.isBad })
        #expect(
            window.contains {
                $0.device == 2 && $0.status == .badNotConnected && $0.reason?.contains("timed out") == true
            },
            "connecting to the offline device times out")
        #expect(
            window.contains { $0.device == 4 && $0.reason?.contains("Connection refused") == true },
            "the refusing device is refused")
    }
}
