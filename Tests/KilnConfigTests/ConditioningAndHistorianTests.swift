import Foundation
import KilnConfig
import KilnCore
import Testing

struct ConditioningAndHistorianTests {
    @Test func conditioningKeysLoad() throws {
        let config = try ConfigLoader.load(
            yaml: """
                devices:
                  - name: boiler-1
                    host: 10.0.0.12
                    tags:
                      - name: supply_temp
                        register: holding
                        address: 0
                        type: float32
                        range: [-40, 150]
                        sentinels: [32767, -32768]
                        thermal: { tau: 90s, max_rate: 0.5, noise: 0.05 }
                        stuck: 10m
                        historian: { deadband: 0.1, compression: 0.2, max_interval: 60s }
                      - name: plain
                        register: holding
                        address: 2
                        type: int16
                """, path: "map.yaml")
        let tag = config.devices[0].tags[0]
        #expect(tag.conditioning.range == -40...150)
        #expect(tag.conditioning.sentinels == [32767, -32768])
        #expect(tag.conditioning.thermal == ThermalConfig(tau: .seconds(90), maxRate: 0.5, noise: 0.05))
        #expect(tag.conditioning.stuck == .seconds(600))
        #expect(tag.historian == TagHistorianConfig(deadband: 0.1, compression: 0.2, maxInterval: .seconds(60)))
        let plain = config.devices[0].tags[1]
        #expect(plain.conditioning == ConditioningConfig())
        #expect(plain.historian == nil)
    }

    @Test func gatewayHistorianLoadsRelativeToTheConfig() throws {
        let config = try ConfigLoader.load(path: GatewayTests.cases + "/historian-clean/kiln.yaml")
        let historian = try #require(config.historian)
        #expect(historian.path == GatewayTests.cases + "/historian-clean/maps/kiln.sqlite")
        #expect(historian.flush == .milliseconds(500))
        #expect(historian.rawWindow == .seconds(86_400))
        #expect(historian.retention == .seconds(365 * 86_400))
    }
}
