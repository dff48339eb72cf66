import KilnCore
import KilnPoller
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The poller against pymodbus peers that fail the ways plant equipment fails: down, refusing,
/// hung, late, busy, restarted, slow.
struct FaultTests {
    /// One uint16 tag at holding 0 serving `value`.
    static func unit(_ value: UInt16, _ configure: (inout PeerUnit) -> Void = { _ in }) -> PeerUnit {
        var unit = PeerUnit(holding: PeerTable(size: 8, entries: [.words(0, [value])]))
        configure(&unit)
        return unit
    }

    static func device(
        _ name: String, port: Int, unit: Int = 1, timeout: String = "200ms", poll: String = "100ms"
    ) -> MapDevice {
        MapDevice(name, port: port, unit: unit, timeout: timeout, poll: poll, tags: [MapTag("v", .holding, 0, .uint16)])
    }

    // MARK: - Down, refused, hung

    @Test func deviceDownAtStartIsReadOnceItComesUp() throws {
        let port = try Loopback.unusedPort()
        let poller = Poller(config: DeviceMap([Self.device("late", port: port)]).gateway, logger: TestLogging.silent)
        try poller.start()
        defer { poller.stop() }
        let stream = SampleStream(poller.queue)

        let down = stream.next(within: .seconds(2)) { $0.status.isBad }
        #expect(down?.status == .badNotConnected, "\(String(describing: down))")
        #expect(down?.value == nil)

        let peer = try PymodbusPeer([1: Self.unit(4242)], port: port)
        defer { peer.stop() }
        let up = stream.next(within: .seconds(5)) { $0.status == .good }
        #expect(up?.value == .uint(4242), "no good sample within 5 s of the device coming up on port \(peer.port)")
        #expect(poller.statistics[0].connected)
    }

    @Test func connectionRefusedIsBadNotConnectedWithTheReason() throws {
        let port = try Loopback.unusedPort()
        let started = ContinuousClock.now
        let samples = Poller.readOnce(DeviceMap([Self.device("gone", port: port)]).gateway, logger: TestLogging.silent)
        #expect(ContinuousClock.now - started < .milliseconds(200), "a refusal is immediate")
        let sample = try #require(samples.first)
        #expect(samples.count == 1)
        #expect(sample.status == .badNotConnected)
        #expect(sample.value == nil)
        #expect(sample.reason?.contains("Connection refused") == true, "\(sample.reason ?? "no reason")")
    }

    @Test func hungPeerTimesOutAfterTheResponseTimeout() throws {
        let peer = try PymodbusPeer([1: Self.unit(1) { $0.silent = true }], logRequests: true)
        defer { peer.stop() }
        let started = ContinuousClock.now
        let samples = Poller.readOnce(
            DeviceMap([Self.device("hung", port: peer.port, timeout: "250ms")]).gateway, logger: TestLogging.silent)
        let elapsed = ContinuousClock.now - started
        let sample = try #require(samples.first)
        #expect(sample.status == .badTimeout)
        #expect(sample.reason == "no reply within the response timeout")
        #expect(elapsed >= .milliseconds(200) && elapsed < .milliseconds(750), "took \(elapsed)")
        #expect(
            peer.requests(atLeast: 1).map(\.outcome) == ["silent"], "the request reached the peer, which kept silent")
    }

    /// The peer answers the first request 400 ms late (after the 200 ms timeout), every later
    /// one at once. Two single-register blocks, 1111 and 2222: a late reply taken for the next
    /// request would show up as one tag's value in the other.
    @Test func lateReplyIsNeverTakenForTheNextRequest() throws {
        let unit = PeerUnit(
            holding: PeerTable(size: 60, entries: [.words(0, [1111]), .words(50, [2222])]), delayFirstMs: 400)
        let peer = try PymodbusPeer([1: unit], logRequests: true)
        defer { peer.stop() }
        let device = MapDevice(
            "late", port: peer.port, timeout: "200ms", poll: "100ms",
            tags: [MapTag("a", .holding, 0, .uint16), MapTag("b", .holding, 50, .uint16)])
        #expect(ReadPlanner.plan(device.config)[0].blocks.count == 2)
        let poller = Poller(config: DeviceMap([device]).gateway, logger: TestLogging.silent)
        try poller.start()
        let stream = SampleStream(poller.queue)
        var goodA = 0
        var goodB = 0
        _ = stream.next(within: .seconds(4)) { sample in
            if sample.status == .good { sample.tag == 0 ? (goodA += 1) : (goodB += 1) }
            return goodA >= 5 && goodB >= 5
        }
        poller.stop()
        stream.drain()

        #expect(goodA >= 5 && goodB >= 5, "good samples after the timeout: a \(goodA), b \(goodB)")
        let first = try #require(stream.samples.first)
        #expect(first.tag == 0 && first.status == .badTimeout, "\(first)")
        for sample in stream.samples where sample.status == .good {
            #expect(sample.value == (sample.tag == 0 ? .uint(1111) : .uint(2222)), "stale reply in tag \(sample.tag)")
        }
        // After the timeout the next request went out on a new connection.
        _ = peer.requests(atLeast: 2)
        let log = peer.process.stdout.lines
        let connects = log.indices.filter { log[$0].contains("\"connect\"") }
        let secondRequest = log.firstIndex { $0.contains("\"n\": 2,") }
        #expect(connects.count >= 2, "reconnected after the timeout: \(log)")
        if connects.count >= 2, let secondRequest {
            #expect(secondRequest > connects[1], "the request after the timeout reused the old connection: \(log)")
        }
    }

    // MARK: - Busy

    @Test func busyIsRetriedThenGood() throws {
        let peer = try PymodbusPeer(
            [1: Self.unit(11) { $0.busyFirst = 1 }, 2: Self.unit(22) { $0.busyFirst = 2 }], logRequests: true)
        defer { peer.stop() }
        var total = 0
        for (unit, value, retries) in [(1, UInt64(11), 1), (2, 22, 2)] {
            total += retries + 1
            let device = Self.device("busy\(unit)", port: peer.port, unit: unit).config
            let session = try DeviceSession(index: 0, device: device, logger: TestLogging.silent)
            let samples = session.readAll()
            session.close()
            #expect(samples.map(\.status) == [.good], "unit \(unit): \(samples)")
            #expect(samples.first?.value == .uint(value))
            #expect(session.stats.busyRetries == retries)
            let seen = peer.requests(atLeast: total).filter { $0.unit == unit }.map(\.outcome)
            #expect(
                seen.suffix(retries + 1) == Array(repeating: "busy", count: retries) + ["ok"], "unit \(unit): \(seen)")
        }
    }

    @Test func persistentBusyIsBadResourceUnavailable() throws {
        let peer = try PymodbusPeer([1: Self.unit(1) { $0.busyAlways = true }], logRequests: true)
        defer { peer.stop() }
        let session = try DeviceSession(
            index: 0, device: Self.device("busy", port: peer.port).config, logger: TestLogging.silent)
        defer { session.close() }
        let started = ContinuousClock.now
        let samples = session.readAll()
        let elapsed = ContinuousClock.now - started
        let sample = try #require(samples.first)
        #expect(sample.status == .badResourceUnavailable)
        #expect(sample.value == nil)
        #expect(sample.reason?.contains("busy") == true, "\(sample.reason ?? "no reason")")
        #expect(peer.requests(atLeast: 3).map(\.outcome) == ["busy", "busy", "busy"], "one try and two retries")
        #expect(elapsed >= .milliseconds(60), "retries 20 ms and 40 ms apart; took \(elapsed)")
        #expect(session.isConnected, "busy is an answer: the connection stays up")
    }

    // MARK: - Restart and slow peers

    @Test func peerRestartedMidRunIsReadAgain() throws {
        var peer: PymodbusPeer? = try PymodbusPeer([1: Self.unit(1)])
        let port = peer!.port
        let poller = Poller(
            config: DeviceMap([Self.device("phoenix", port: port, timeout: "300ms")]).gateway,
            logger: TestLogging.silent)
        try poller.start()
        var stopped = false
        defer { if !stopped { poller.stop() } }
        let stream = SampleStream(poller.queue)
        #expect(stream.next(within: .seconds(3)) { $0.value == .uint(1) } != nil, "first life read")

        peer!.crash()
        peer = nil
        let down = stream.next(within: .seconds(3)) { $0.status.isBad }
        #expect(down != nil, "samples go bad while the peer is down")

        let reborn = try PymodbusPeer([1: Self.unit(2)], port: port)
        defer { reborn.stop() }
        #expect(reborn.port == port)
        let back = stream.next(within: .seconds(5)) { $0.status == .good }
        #expect(back?.value == .uint(2), "read the restarted peer: \(String(describing: back))")

        let stopping = ContinuousClock.now
        poller.stop()
        stopped = true
        #expect(ContinuousClock.now - stopping < .seconds(1), "stop() returned promptly")
    }

    /// One device answers 400 ms late on a 100 ms schedule; another on the same peer is polled
    /// every 100 ms and must keep its schedule.
    @Test func slowPeerDoesNotDelayAnotherDevice() throws {
        let peer = try PymodbusPeer([1: Self.unit(1) { $0.delayMs = 400 }, 2: Self.unit(2)])
        defer { peer.stop() }
        let map = DeviceMap([
            Self.device("slow", port: peer.port, unit: 1, timeout: "1s", poll: "100ms"),
            Self.device("fast", port: peer.port, unit: 2, timeout: "500ms", poll: "100ms"),
        ])
        let poller = Poller(config: map.gateway, logger: TestLogging.silent)
        try poller.start()
        defer { poller.stop() }
        let stream = SampleStream(poller.queue)
        #expect(stream.next(within: .seconds(3)) { $0.device == 1 && $0.status == .good } != nil)

        let window: Duration = .seconds(2)
        let before = poller.statistics
        let startIndex = stream.samples.count
        let started = ContinuousClock.now
        stream.collect(for: window)
        let elapsed = ContinuousClock.now - started
        let after = poller.statistics

        let nominal = elapsed / .milliseconds(100)
        let fastCycles = after[1].cycles - before[1].cycles
        let fastGood = stream.samples[startIndex...].filter { $0.device == 1 && $0.status == .good }.count
        #expect(Double(fastCycles) >= 0.8 * nominal, "fast device: \(fastCycles) cycles in \(elapsed)")
        #expect(Double(fastGood) >= 0.8 * nominal, "fast device: \(fastGood) good samples in \(elapsed)")
        let slowGood = stream.samples.filter { $0.device == 0 && $0.status == .good }
        #expect(!slowGood.isEmpty && slowGood.allSatisfy { $0.value == .uint(1) }, "the slow device still reads")
        #expect(after[0].overruns > 0, "the slow device's overruns are counted")
    }
}
