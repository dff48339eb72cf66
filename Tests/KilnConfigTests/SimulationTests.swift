import KilnConfig
import KilnCore
import Testing

/// `simulate:` blocks become the TagSimulation and DeviceSimulation values `kiln simulate` runs.
struct SimulationTests {
    static let map = """
        devices:
          - name: boiler-1
            host: 127.0.0.1
            simulate:
              faults:
                - { fault: slow, at: 4m, for: 20s, every: 10m, delay: 300ms }
                - { fault: exception, code: 6, at: 1h }
                - { fault: dropout, at: 30s, for: 5s }
            tags:
              - name: supply_temp
                register: holding
                address: 0
                type: float32
                simulate:
                  value: 20
                  target: 82.5
                  tau: 90s
                  noise: 0.15
                  period: 10m
                  faults:
                    - { fault: spike, at: 2m, every: 5m, size: 40 }
                    - { fault: drift, at: 1h, rate: -0.01 }
                    - { fault: stuck, at: 7m, for: 45s, every: 15m }
              - { name: burner_on, register: coil, address: 0, simulate: { value: true, period: 1m } }
              - { name: model, register: holding, address: 10, type: string, length: 8, simulate: { value: KB-4000 } }
              - { name: level, register: holding, address: 2, type: int16, scale: 0.1, simulate: { value: -12.5 } }
        """

    static func device() throws -> DeviceConfig {
        try ConfigLoader.load(yaml: map, path: "sim.yaml").devices[0]
    }

    @Test func deviceFaults() throws {
        let simulation = try #require(try Self.device().simulation)
        #expect(
            simulation.faults == [
                SimulatedFault(
                    kind: .slow, at: .seconds(240), duration: .seconds(20), every: .seconds(600),
                    delay: .milliseconds(300)),
                SimulatedFault(kind: .exception, at: .seconds(3600), code: 6),
                SimulatedFault(kind: .dropout, at: .seconds(30), duration: .seconds(5)),
            ])
    }

    @Test func thermalResponseAndTagFaults() throws {
        let simulation = try #require(try Self.device().tags[0].simulation)
        #expect(simulation.value == 20)
        #expect(simulation.target == 82.5)
        #expect(simulation.tau == .seconds(90))
        #expect(simulation.noise == 0.15)
        #expect(simulation.period == .seconds(600))
        #expect(
            simulation.faults == [
                SimulatedFault(kind: .spike, at: .seconds(120), every: .seconds(300), size: 40),
                SimulatedFault(kind: .drift, at: .seconds(3600), rate: -0.01),
                SimulatedFault(kind: .stuck, at: .seconds(420), duration: .seconds(45), every: .seconds(900)),
            ])
    }

    @Test func boolsStringsAndDefaults() throws {
        let tags = try Self.device().tags
        #expect(tags[1].simulation == TagSimulation(value: 1, period: .seconds(60)))
        #expect(tags[2].simulation == TagSimulation(text: "KB-4000"))
        #expect(tags[3].simulation == TagSimulation(value: -12.5))
    }
}
