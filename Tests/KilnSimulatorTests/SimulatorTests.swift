import Foundation
import KilnCore
import KilnSimulator
import Testing

/// The simulated plant, read back by an independent Modbus client (pymodbus), plus its model.
struct SimulatorTests {
    // MARK: Encoding, read back by pymodbus

    @Test func servesEveryTypeAndByteOrderAsAnIndependentClientReadsThem() async throws {
        func tag(
            _ name: String, _ address: Int, _ type: DataType, _ order: ByteOrder = .abcd,
            in register: RegisterKind = .holding, value: Double = 0, text: String? = nil, bit: Int? = nil,
            length: Int? = nil,
            scale: Double = 1, offset: Double = 0
        ) -> TagConfig {
            TagConfig(
                name: name, register: register, address: address, type: type, byteOrder: order, bit: bit,
                length: length, scale: scale, offset: offset, simulation: TagSimulation(value: value, text: text))
        }
        let boiler = DeviceConfig(
            name: "boiler-1", host: "127.0.0.1", unit: 1,
            tags: [
                tag("f32_abcd", 0, .float32, .abcd, value: 21.5),
                tag("f32_cdab", 2, .float32, .cdab, value: 21.5),
                tag("f32_badc", 4, .float32, .badc, value: 21.5),
                tag("f32_dcba", 6, .float32, .dcba, value: 21.5),
                tag("i16_scaled", 8, .int16, value: 21.5, scale: 0.1),
                tag("u16_offset", 9, .uint16, value: 20, scale: 0.5, offset: -40),
                tag("i32_cdab", 10, .int32, .cdab, value: -2),
                tag("f64_abcd", 12, .float64, .abcd, value: 21.5),
                tag("i64_dcba", 16, .int64, .dcba, value: -5),
                tag("u32_badc", 20, .uint32, .badc, value: 16_909_060),
                tag("name", 22, .string, text: "KILN-01", length: 4),
                tag("flag_bit3", 26, .bool, value: 1, bit: 3),
                tag("flag_bit0", 26, .bool, value: 1, bit: 0),
                tag("i16_input", 0, .int16, in: .input, value: -300),
                tag("coil_on", 0, .bool, in: .coil, value: 1),
                tag("coil_off", 1, .bool, in: .coil, value: 0),
                tag("coil_on2", 2, .bool, in: .coil, value: 1),
                tag("discrete_on", 5, .bool, in: .discrete, value: 1),
            ])
        let chiller = DeviceConfig(
            name: "chiller-1", host: "127.0.0.1", unit: 2, tags: [tag("count", 0, .uint16, value: 4242)])
        let server = try SimulatorServer(devices: [boiler, chiller], configuration: .init(portOverride: 0))
        try server.start()
        defer { server.stop() }
        #expect(server.listeners.count == 1)
        let port = try #require(server.ports.first)

        let results = try await PyModbusClient.run(
            port: port,
            [
                .read(.holding, 0, count: 27), .read(.input, 0), .read(.coil, 0, count: 3), .read(.discrete, 5),
                .read(.holding, 0, unit: 2), .read(.holding, 0, unit: 9), .read(.holding, 27),
            ])
        try #require(results.count == 7)
        #expect(
            results[0].registers == [
                0x41AC, 0x0000, 0x0000, 0x41AC, 0xAC41, 0x0000, 0x0000, 0xAC41,  // float32 21.5, four orders
                215, 120,  // int16 ×0.1, uint16 ×0.5 −40
                0xFFFE, 0xFFFF,  // int32 −2, CDAB
                0x4035, 0x8000, 0x0000, 0x0000,  // float64 21.5
                0xFBFF, 0xFFFF, 0xFFFF, 0xFFFF,  // int64 −5, DCBA
                0x0201, 0x0403,  // uint32 0x01020304, BADC
                0x4B49, 0x4C4E, 0x2D30, 0x3100,  // "KILN-01"
                0x0009,  // bits 3 and 0
            ])
        #expect(results[1].registers == [0xFED4])
        #expect(results[2].bits == [1, 0, 1])
        #expect(results[3].bits == [1])
        #expect(results[4].registers == [4242])
        #expect(results[5].exception == 0x0B, "an unknown unit id gets gateway target failed to respond")
        #expect(results[6].exception == 2, "beyond the served range is an illegal data address")
        #expect(server.requestCount(device: "boiler-1") == 5)
        #expect(server.requestCount(device: "chiller-1") == 1)
    }

    @Test func clientWritesAreStoredAndHeldAgainstTheModel() async throws {
        let device = DeviceConfig(
            name: "pump-1", host: "127.0.0.1",
            tags: [
                TagConfig(
                    name: "setpoint", register: .holding, address: 10, type: .uint16,
                    simulation: TagSimulation(value: 0, target: 1000, tau: .milliseconds(50), noise: 5)),
                TagConfig(name: "run", register: .coil, address: 0, type: .bool),
            ])
        let server = try SimulatorServer(devices: [device], configuration: .init(portOverride: 0))
        try server.start()
        defer { server.stop() }
        let results = try await PyModbusClient.run(
            port: server.ports[0],
            [
                .write(10, [777]), .writeCoil(0, true), .sleep(0.25), .read(.holding, 10), .read(.coil, 0),
            ])
        try #require(results.count == 5)
        #expect(results[3].registers == [777], "the model must not overwrite a written setpoint")
        #expect(results[4].bits == [1])
    }

    // MARK: Faults

    @Test func tagLevelExceptionIsolatesOneTagWhileItsNeighboursRead() async throws {
        let device = DeviceConfig(
            name: "boiler-1", host: "127.0.0.1",
            tags: [
                TagConfig(
                    name: "a", register: .holding, address: 0, type: .uint16, simulation: TagSimulation(value: 1)),
                TagConfig(
                    name: "b", register: .holding, address: 1, type: .uint16,
                    simulation: TagSimulation(value: 2, faults: [SimulatedFault(kind: .exception)])),
                TagConfig(
                    name: "c", register: .holding, address: 2, type: .uint16, simulation: TagSimulation(value: 3)),
            ])
        let server = try SimulatorServer(devices: [device], configuration: .init(portOverride: 0))
        try server.start()
        defer { server.stop() }
        let results = try await PyModbusClient.run(
            port: server.ports[0],
            [.read(.holding, 0, count: 3), .read(.holding, 0), .read(.holding, 2), .read(.holding, 1)])
        try #require(results.count == 4)
        #expect(results[0].exception == 2)
        #expect(results[1].registers == [1])
        #expect(results[2].registers == [3])
        #expect(results[3].exception == 2)
    }

    @Test func deviceLevelBusyAnswersEveryRequestWithException6() async throws {
        let busy = DeviceConfig(
            name: "busy-1", host: "127.0.0.1", unit: 1,
            tags: [TagConfig(name: "a", register: .holding, address: 0, type: .uint16)],
            simulation: DeviceSimulation(faults: [SimulatedFault(kind: .exception, code: 6)]))
        let fine = DeviceConfig(
            name: "fine-1", host: "127.0.0.1", unit: 2,
            tags: [TagConfig(name: "a", register: .holding, address: 0, type: .uint16)])
        let server = try SimulatorServer(devices: [busy, fine], configuration: .init(portOverride: 0))
        try server.start()
        defer { server.stop() }
        let results = try await PyModbusClient.run(
            port: server.ports[0],
            [.read(.holding, 0), .write(0, [1]), .read(.holding, 0, unit: 2)])
        try #require(results.count == 3)
        #expect(results[0].exception == 6)
        #expect(results[1].exception == 6)
        #expect(results[2].registers?.count == 1)
    }

    @Test func slowDeviceDelaysOnlyItsOwnConnection() async throws {
        let slow = DeviceConfig(
            name: "slow-1", host: "127.0.0.1", unit: 1,
            tags: [TagConfig(name: "a", register: .holding, address: 0, type: .uint16)],
            simulation: DeviceSimulation(faults: [SimulatedFault(kind: .slow, delay: .milliseconds(800))]))
        let fast = DeviceConfig(
            name: "fast-1", host: "127.0.0.1", unit: 2,
            tags: [TagConfig(name: "a", register: .holding, address: 0, type: .uint16)])
        let server = try SimulatorServer(devices: [slow, fast], configuration: .init(portOverride: 0))
        try server.start()
        defer { server.stop() }
        let clients = try await PyModbusClient.run(
            port: server.ports[0], timeout: 2,
            clients: [
                [.read(.holding, 0, unit: 1)],
                [.sleep(0.1)] + Array(repeating: .read(.holding, 0, unit: 2), count: 5),
            ])
        try #require(clients.count == 2 && clients[0].count == 1 && clients[1].count == 6)
        let slowRead = clients[0][0]
        #expect(slowRead.registers?.count == 1)
        #expect(slowRead.seconds >= 0.75, "the slow device answers after its delay")
        for read in clients[1].dropFirst() {
            #expect(read.registers?.count == 1)
            #expect(read.seconds < 0.2, "another connection is served while the slow one waits")
        }
        #expect(clients[1].map(\.finished).max()! < slowRead.finished)
    }

    @Test func dropoutGivesNoReplyAtAll() async throws {
        let gone = DeviceConfig(
            name: "gone-1", host: "127.0.0.1", unit: 1,
            tags: [TagConfig(name: "a", register: .holding, address: 0, type: .uint16)],
            simulation: DeviceSimulation(faults: [SimulatedFault(kind: .dropout)]))
        let partly = DeviceConfig(
            name: "partly-1", host: "127.0.0.1", unit: 2,
            tags: [
                TagConfig(name: "ok", register: .holding, address: 0, type: .uint16),
                TagConfig(
                    name: "mute", register: .holding, address: 5, type: .uint16,
                    simulation: TagSimulation(faults: [SimulatedFault(kind: .dropout)])),
            ])
        let server = try SimulatorServer(devices: [gone, partly], configuration: .init(portOverride: 0))
        try server.start()
        defer { server.stop() }
        let clients = try await PyModbusClient.run(
            port: server.ports[0], timeout: 0.3,
            clients: [[.read(.holding, 0, unit: 1)], [.read(.holding, 0, unit: 2)], [.read(.holding, 5, unit: 2)]])
        try #require(clients.count == 3)
        let silent = clients[0][0]
        #expect(silent.registers == nil && silent.exception == nil && silent.error != nil, "a timeout, not a reply")
        #expect(silent.seconds >= 0.25)
        #expect(clients[1][0].registers?.count == 1)
        #expect(clients[2][0].error != nil)
        #expect(server.requestCount(device: "gone-1") == 1, "the request arrived; it was not answered")
    }

    @Test func scheduledFaultComesAndGoesOnItsSchedule() async throws {
        // In force for 100 ms of every 200 ms: reads 25 ms apart see both states.
        let device = DeviceConfig(
            name: "boiler-1", host: "127.0.0.1",
            tags: [TagConfig(name: "a", register: .holding, address: 0, type: .uint16)],
            simulation: DeviceSimulation(faults: [
                SimulatedFault(kind: .exception, duration: .milliseconds(100), every: .milliseconds(200), code: 4)
            ]))
        let server = try SimulatorServer(devices: [device], configuration: .init(portOverride: 0))
        try server.start()
        defer { server.stop() }
        let ops = (0..<24).flatMap { _ in [PyModbusClient.Op.read(.holding, 0), .sleep(0.025)] }
        let reads = try await PyModbusClient.run(port: server.ports[0], ops).filter {
            $0.registers != nil || $0.exception != nil
        }
        #expect(reads.count == 24)
        let faulted = reads.filter { $0.exception == 4 }.count
        let answered = reads.filter { $0.registers?.count == 1 }.count
        #expect(faulted + answered == 24)
        #expect(faulted >= 4 && answered >= 4)
    }

    // MARK: Server life cycle

    @Test func timingLogHasOneLinePerRequest() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-timing-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let device = DeviceConfig(
            name: "boiler-1", host: "127.0.0.1", unit: 3,
            tags: [TagConfig(name: "a", register: .holding, address: 0, type: .uint16)])
        let server = try SimulatorServer(devices: [device], configuration: .init(portOverride: 0, timingLogPath: path))
        try server.start()
        _ = try await PyModbusClient.run(port: server.ports[0], Array(repeating: .read(.holding, 0, unit: 3), count: 4))
        server.stop()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        let fields = lines.map { $0.split(separator: " ").compactMap { Int64($0) } }
        #expect(fields.allSatisfy { $0.count == 3 && $0[1] == 3 })
        #expect(Set(fields.map { $0[0] }).count == 1, "one connection")
        let times = fields.map { $0[2] }
        #expect(times == times.sorted())
    }

    @Test func duplicateUnitIdsOnOnePortAreRejected() {
        let a = DeviceConfig(name: "a", host: "127.0.0.1", port: 15020, unit: 1)
        let b = DeviceConfig(name: "b", host: "127.0.0.1", port: 15021, unit: 1)
        #expect(throws: Never.self) { try SimulatorServer(devices: [a, b]) }
        do {
            _ = try SimulatorServer(devices: [a, b], configuration: .init(portOverride: 15020))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidMap)
            #expect(error.message.contains("unit 1"))
        }
    }

    @Test func portInUseIsAClearError() throws {
        let device = DeviceConfig(name: "a", host: "127.0.0.1")
        let first = try SimulatorServer(devices: [device], configuration: .init(portOverride: 0))
        try first.start()
        defer { first.stop() }
        let second = try SimulatorServer(devices: [device], configuration: .init(portOverride: first.ports[0]))
        do {
            try second.start()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .listenFailed)
            #expect(error.message.contains("\(first.ports[0])"))
        }
        second.stop()
    }

    @Test func stopEndsOpenConnectionsAndIsIdempotent() async throws {
        let device = DeviceConfig(
            name: "a", host: "127.0.0.1", tags: [TagConfig(name: "a", register: .holding, address: 0, type: .uint16)])
        let server = try SimulatorServer(devices: [device], configuration: .init(portOverride: 0))
        try server.start()
        let port = server.ports[0]
        // A client that connects and stays idle must not keep stop() waiting.
        let idle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(idle) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(idle, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(connected == 0)
        try await Task.sleep(for: .milliseconds(50))
        let clock = ContinuousClock()
        let elapsed = clock.measure { server.stop() }
        #expect(elapsed < .seconds(1))
        server.stop()
        #expect(server.ports == [port])
    }

    // MARK: The command

    @Test func simulateCommandServesAMapUntilSIGTERMThenExitsZero() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-sim-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let map = directory.appendingPathComponent("plant.yaml")
        try """
        devices:
          - name: boiler-1
            host: 127.0.0.1
            unit: 1
            tags:
              - { name: supply_temp, register: holding, address: 0, type: float32, simulate: { value: 21.5 } }
          - name: chiller-1
            host: 127.0.0.1
            unit: 2
            tags:
              - { name: count, register: holding, address: 0, type: uint16, simulate: { value: 4242 } }
        """.write(to: map, atomically: true, encoding: .utf8)

        let simulator = try KilnChildProcess(["simulate", map.path, "--port", "0", "--stats"])
        let banner = try await simulator.firstLine()
        #expect(banner.hasPrefix("serving boiler-1 (unit 1), chiller-1 (unit 2) on 127.0.0.1:"), "\(banner)")
        let port = try #require(banner.split(separator: ":").last.flatMap { Int($0) })
        let results = try await PyModbusClient.run(
            port: port, [.read(.holding, 0, count: 2), .read(.holding, 0, unit: 2)])
        #expect(results.first?.registers == [0x41AC, 0x0000])
        #expect(results.last?.registers == [4242])
        let (status, output, errors) = try await simulator.terminate()
        #expect(status == 0, "\(errors)")
        #expect(output.contains("boiler-1 (unit 1, port \(port)): 1 requests"))
        #expect(output.contains("stopped on SIGTERM"))

        // Two devices on one port with the same unit id: a clear error, exit 1.
        try """
        devices:
          - name: a
            host: 127.0.0.1
            port: 15020
            tags: [{ name: x, register: holding, address: 0, type: uint16 }]
          - name: b
            host: 127.0.0.1
            port: 15021
            tags: [{ name: x, register: holding, address: 0, type: uint16 }]
        """.write(to: map, atomically: true, encoding: .utf8)
        let clash = try KilnChildProcess(["simulate", map.path, "--port", "0"])
        let (clashStatus, _, clashErrors) = try await clash.wait()
        #expect(clashStatus == 1)
        #expect(clashErrors.contains("devices a and b both use unit 1"), "\(clashErrors)")
    }

    // MARK: Model

    @Test func modelThreadDrivesTheServedRegisters() async throws {
        let tag = TagConfig(
            name: "temp", register: .holding, address: 0, type: .float32,
            simulation: TagSimulation(value: 0, target: 100, tau: .milliseconds(100)))
        let device = DeviceConfig(name: "boiler-1", host: "127.0.0.1", tags: [tag])
        let server = try SimulatorServer(
            devices: [device], configuration: .init(portOverride: 0, modelPeriod: .milliseconds(20)))
        try server.start()
        defer { server.stop() }
        let first = Decoding.decode(words: try #require(server.servedWords(device: "boiler-1", tag: "temp")), tag: tag)
        try await Task.sleep(for: .milliseconds(500))
        let later = Decoding.decode(words: try #require(server.servedWords(device: "boiler-1", tag: "temp")), tag: tag)
        #expect(try #require(first.number) < 20)
        #expect(try #require(later.number) > 95, "five time constants in, the response is within 1% of target")
    }

    @Test func firstOrderResponseReaches63PercentAfterOneTau() {
        var model = ThermalModel(initial: 20, target: 80, tau: .seconds(10))
        model.advance(to: .seconds(10))
        #expect(abs(model.state - (20 + 60 * (1 - exp(-1)))) < 1e-9)
        #expect(abs((model.state - 20) / 60 - 0.632) < 0.001)
        model.advance(to: .seconds(50))
        #expect(abs(model.state - (80 - 60 * exp(-5))) < 1e-9)
    }

    @Test func firstOrderResponseIsExactForAnyStep() {
        var coarse = ThermalModel(initial: 0, target: 100, tau: .milliseconds(700), period: .seconds(1))
        var fine = coarse
        coarse.advance(to: .milliseconds(3_300))
        for ms in stride(from: 7, through: 3_300, by: 7) { fine.advance(to: .milliseconds(Int64(ms))) }
        fine.advance(to: .milliseconds(3_300))
        #expect(abs(coarse.state - fine.state) < 1e-9)
        // Square wave: high for [0, 1s), low for [1s, 2s), high again from 2s.
        #expect(coarse.heatInput(atNanoseconds: 500_000_000) == 100)
        #expect(coarse.heatInput(atNanoseconds: 1_500_000_000) == 0)
        #expect(coarse.heatInput(atNanoseconds: 2_000_000_000) == 100)
        // At 3.3 s: a rise from the state at 3 s toward 0 for 0.3 s after a rise toward 100.
        var x = 0.0
        for (input, seconds) in [(100.0, 1.0), (0, 1), (100, 1), (0, 0.3)] {
            x += (input - x) * (1 - exp(-seconds / 0.7))
        }
        #expect(abs(coarse.state - x) < 1e-9)
    }

    @Test func zeroTauFollowsTheInputAtOnce() {
        var model = ThermalModel(initial: 5, target: 9, tau: .zero, period: .seconds(1))
        model.advance(to: .milliseconds(10))
        #expect(model.state == 9)
        model.advance(to: .milliseconds(1_010))
        #expect(model.state == 5)
    }

    @Test func valueFaultsShapeTheServedSignal() {
        var generator = SplitMix64(seed: 1)
        func tag(_ faults: [SimulatedFault]) -> TagConfig {
            TagConfig(
                name: "t", register: .holding, address: 0, type: .float32,
                simulation: TagSimulation(value: 0, target: 100, tau: .seconds(1), faults: faults))
        }
        let ms: Int64 = 1_000_000
        // Drift: rate per second since the occurrence began, only while active.
        var drift = SimulatedSignal(
            tag: tag([SimulatedFault(kind: .drift, at: .seconds(1), duration: .seconds(2), rate: 10)]))
        var plain = SimulatedSignal(tag: tag([]))
        let base = plain.value(atNanoseconds: 2_000 * ms, using: &generator).number!
        #expect(abs(drift.value(atNanoseconds: 2_000 * ms, using: &generator).number! - (base + 10)) < 1e-9)
        #expect(
            abs(
                drift.value(atNanoseconds: 3_500 * ms, using: &generator).number!
                    - plain.value(atNanoseconds: 3_500 * ms, using: &generator).number!) < 1e-9)

        // Spike: a 1 ms spike is still served once by a 50 ms step, then gone.
        var spike = SimulatedSignal(
            tag: tag([SimulatedFault(kind: .spike, at: .milliseconds(120), duration: .milliseconds(1), size: 500)]))
        plain = SimulatedSignal(tag: tag([]))
        var spiked: [Int64] = []
        for t in stride(from: Int64(0), through: 300, by: 50) {
            let v = spike.value(atNanoseconds: t * ms, using: &generator).number!
            let p = plain.value(atNanoseconds: t * ms, using: &generator).number!
            if abs(v - p - 500) < 1e-9 { spiked.append(t) } else { #expect(abs(v - p) < 1e-9) }
        }
        #expect(spiked == [150])

        // A spike without a duration is one sample per occurrence.
        spike = SimulatedSignal(
            tag: tag([SimulatedFault(kind: .spike, at: .milliseconds(100), every: .milliseconds(200), size: 500)]))
        plain = SimulatedSignal(tag: tag([]))
        spiked = []
        for t in stride(from: Int64(0), through: 500, by: 50) {
            let v = spike.value(atNanoseconds: t * ms, using: &generator).number!
            let p = plain.value(atNanoseconds: t * ms, using: &generator).number!
            if abs(v - p - 500) < 1e-9 { spiked.append(t) }
        }
        #expect(spiked == [100, 300, 500])

        // Stuck: holds the value served when it began, then follows the model again.
        var stuck = SimulatedSignal(
            tag: tag([SimulatedFault(kind: .stuck, at: .milliseconds(100), duration: .milliseconds(200))]))
        _ = stuck.value(atNanoseconds: 50 * ms, using: &generator)
        let held = stuck.value(atNanoseconds: 100 * ms, using: &generator)
        #expect(stuck.value(atNanoseconds: 250 * ms, using: &generator) == held)
        let after = stuck.value(atNanoseconds: 400 * ms, using: &generator).number!
        #expect(after > held.number!)
    }

    @Test func noiseHasTheConfiguredStandardDeviation() {
        var generator = SplitMix64(seed: 42)
        var signal = SimulatedSignal(
            tag: TagConfig(
                name: "t", register: .holding, address: 0, type: .float32,
                simulation: TagSimulation(value: 50, noise: 2)))
        let samples = (1...20_000).map { signal.value(atNanoseconds: Int64($0), using: &generator).number! }
        let mean = samples.reduce(0, +) / Double(samples.count)
        let sd = (samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count - 1)).squareRoot()
        #expect(abs(mean - 50) < 0.1)
        #expect(abs(sd - 2) < 0.1)
    }

    @Test func boolsToggleEveryPeriodAndUnsimulatedTagsServeConstants() {
        var generator = SplitMix64(seed: 0)
        var toggling = SimulatedSignal(
            tag: TagConfig(
                name: "run", register: .coil, address: 0, type: .bool,
                simulation: TagSimulation(value: 1, period: .seconds(1))))
        #expect(toggling.value(atNanoseconds: 0, using: &generator) == .bool(true))
        #expect(toggling.value(atNanoseconds: 1_500_000_000, using: &generator) == .bool(false))
        #expect(toggling.value(atNanoseconds: 2_000_000_000, using: &generator) == .bool(true))
        let plain = TagConfig(name: "supply_temp", register: .holding, address: 0, type: .float32)
        #expect(SimulatedSignal(tag: plain).isConstant)
        let constant = SimulatedSignal.constant(for: plain).number!
        #expect((0...99.9).contains(constant))
        #expect(SimulatedSignal.constant(for: plain) == SimulatedSignal.constant(for: plain))
    }
}

// MARK: - pymodbus client

/// Runs pymodbus clients in a `python3` child process. Missing python3 or pymodbus fails the
/// test with the interpreter's own message: these tests never skip.
private enum PyModbusClient {
    struct Op: Encodable, Sendable {
        var fn: String
        var address = 0
        var count = 1
        var unit = 1
        var values: [Int]?
        var value: Bool?
        var seconds: Double?

        static func read(_ kind: RegisterKind, _ address: Int, count: Int = 1, unit: Int = 1) -> Op {
            Op(fn: kind.rawValue, address: address, count: count, unit: unit)
        }
        static func write(_ address: Int, _ values: [Int], unit: Int = 1) -> Op {
            Op(fn: "write", address: address, unit: unit, values: values)
        }
        static func writeCoil(_ address: Int, _ value: Bool, unit: Int = 1) -> Op {
            Op(fn: "write_coil", address: address, unit: unit, value: value)
        }
        static func sleep(_ seconds: Double) -> Op { Op(fn: "sleep", seconds: seconds) }
    }

    struct Result: Decodable, Sendable {
        var registers: [Int]?
        var bits: [Int]?
        var exception: Int?
        var error: String?
        /// How long the operation took.
        var seconds: Double
        /// When it finished, seconds since the clients started.
        var finished: Double
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private struct Spec: Encodable {
        var port: Int
        var timeout: Double
        var clients: [[Op]]
    }

    /// One client running `ops` in order.
    static func run(port: Int, timeout: Double = 1, _ ops: [Op]) async throws -> [Result] {
        try await run(port: port, timeout: timeout, clients: [ops])[0]
    }

    /// Several clients, each on its own connection and thread, started together.
    static func run(port: Int, timeout: Double = 1, clients: [[Op]]) async throws -> [[Result]] {
        let spec = String(
            decoding: try JSONEncoder().encode(Spec(port: port, timeout: timeout, clients: clients)), as: UTF8.self)
        let (status, output, errors) = try await execute(["python3", "-c", script, spec])
        guard status == 0 else {
            throw Failure(description: "python3 pymodbus client failed (status \(status)): \(errors)")
        }
        return try JSONDecoder().decode([[Result]].self, from: Data(output.utf8))
    }

    private static func execute(_ arguments: [String]) async throws -> (Int32, String, String) {
        try await withCheckedThrowingContinuation { continuation in
            // Blocking reads run on a dispatch thread, never on the cooperative pool.
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = arguments
                let output = Pipe()
                let errors = Pipe()
                process.standardOutput = output
                process.standardError = errors
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: Failure(description: "cannot run python3: \(error)"))
                    return
                }
                let out = output.fileHandleForReading.readDataToEndOfFile()
                let err = errors.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(
                    returning: (
                        process.terminationStatus, String(decoding: out, as: UTF8.self),
                        String(decoding: err, as: UTF8.self)
                    ))
            }
        }
    }

    private static let script = #"""
        import json, sys, threading, time
        from pymodbus.client import ModbusTcpClient
        from pymodbus.exceptions import ModbusException

        spec = json.loads(sys.argv[1])
        origin = time.monotonic()

        failures = []

        def client(ops, out):
            try:
                run_client(ops, out)
            except BaseException as e:
                failures.append(repr(e))

        def run_client(ops, out):
            c = ModbusTcpClient("127.0.0.1", port=spec["port"], timeout=spec["timeout"], retries=0)
            if not c.connect():
                raise RuntimeError("cannot connect to 127.0.0.1:%d" % spec["port"])
            for op in ops:
                fn, a, n, u = op["fn"], op["address"], op["count"], op["unit"]
                start = time.monotonic()
                result = {}
                try:
                    if fn == "sleep":
                        time.sleep(op["seconds"])
                        r = None
                    elif fn == "holding":
                        r = c.read_holding_registers(a, count=n, device_id=u)
                    elif fn == "input":
                        r = c.read_input_registers(a, count=n, device_id=u)
                    elif fn == "coil":
                        r = c.read_coils(a, count=n, device_id=u)
                    elif fn == "discrete":
                        r = c.read_discrete_inputs(a, count=n, device_id=u)
                    elif fn == "write":
                        r = c.write_registers(a, op["values"], device_id=u)
                    elif fn == "write_coil":
                        r = c.write_coil(a, op["value"], device_id=u)
                    else:
                        raise RuntimeError("unknown op " + fn)
                    if r is None:
                        pass
                    elif r.isError():
                        result["exception"] = r.exception_code
                    elif fn in ("holding", "input"):
                        result["registers"] = list(r.registers)
                    elif fn in ("coil", "discrete"):
                        result["bits"] = [int(b) for b in r.bits[:n]]
                except ModbusException as e:
                    result["error"] = str(e)
                now = time.monotonic()
                result["seconds"] = now - start
                result["finished"] = now - origin
                out.append(result)
            c.close()

        outs = [[] for _ in spec["clients"]]
        threads = [threading.Thread(target=client, args=(ops, out)) for ops, out in zip(spec["clients"], outs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failures:
            sys.exit("pymodbus client failed: " + "; ".join(failures))
        print(json.dumps(outs))
        """#
}

// MARK: - The kiln executable

/// `kiln` run as a child process, from the build products next to this test bundle.
private final class KilnChildProcess: Sendable {
    private let process: Process
    private let output = Pipe()
    private let errors = Pipe()

    init(_ arguments: [String]) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("kiln")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw PyModbusClient.Failure(description: "no kiln executable at \(binary.path): build the package first")
        }
        process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = errors
        try process.run()
    }

    /// The first line the command prints (it prints one per listening port once serving).
    func firstLine() async throws -> String {
        let handle = output.fileHandleForReading
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                while true {
                    var byte: UInt8 = 0
                    guard read(handle.fileDescriptor, &byte, 1) == 1 else {
                        continuation.resume(
                            throwing: PyModbusClient.Failure(description: "kiln exited before printing"))
                        return
                    }
                    if byte == UInt8(ascii: "\n") { break }
                    bytes.append(byte)
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    /// Sends SIGTERM and waits for the exit.
    func terminate() async throws -> (Int32, String, String) {
        process.terminate()
        return try await wait()
    }

    /// Waits for the exit: status, the rest of standard output, and standard error.
    func wait() async throws -> (Int32, String, String) {
        let (process, output, errors) = (self.process, self.output, self.errors)
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let out = output.fileHandleForReading.readDataToEndOfFile()
                let err = errors.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(
                    returning: (
                        process.terminationStatus, String(decoding: out, as: UTF8.self),
                        String(decoding: err, as: UTF8.self)
                    ))
            }
        }
    }
}
