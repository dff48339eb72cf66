import KilnConfig
import KilnCore
import Testing

/// What a map leaves out: device defaults, and what tags take from their device.
struct DefaultsTests {
    static func load(_ yaml: String) throws(ConfigError) -> GatewayConfig {
        try ConfigLoader.load(yaml: yaml, path: "test.yaml")
    }

    @Test func deviceDefaults() throws {
        let config = try Self.load(
            """
            devices:
              - name: boiler-1
                host: 10.0.0.12
                tags:
                  - { name: burner_on, register: coil, address: 0 }
            """)
        let device = try #require(config.devices.first)
        #expect(device.port == 502)
        #expect(device.unit == 1)
        #expect(device.timeout == .milliseconds(500))
        #expect(device.poll == .seconds(1))
        #expect(device.byteOrder == .abcd)
        #expect(device.maxRegisters == 125)
        #expect(device.maxBits == 2000)
        #expect(device.maxGap == 8)
        #expect(device.simulation == nil)
        #expect(device.location == SourceLocation(file: "test.yaml", line: 2, column: 5))
        // A map on its own loads as a gateway with default settings.
        #expect(config.path == "test.yaml")
        #expect(config.realtime == RealtimeConfig())
    }

    @Test func tagDefaults() throws {
        let tag = try #require(
            try Self.load(
                """
                devices:
                  - name: boiler-1
                    host: 10.0.0.12
                    tags:
                      - name: burner_on
                        register: coil
                        address: 7
                """
            ).devices.first?.tags.first)
        #expect(tag.type == .bool)
        #expect(tag.byteOrder == .abcd)
        #expect(tag.bit == nil)
        #expect(tag.length == nil)
        #expect(tag.scale == 1)
        #expect(tag.offset == 0)
        #expect(tag.unit == nil)
        #expect(tag.poll == .seconds(1))
        #expect(tag.simulation == nil)
        #expect(tag.location == SourceLocation(file: "test.yaml", line: 5, column: 9))
    }

    @Test func tagsInheritPollAndByteOrderFromTheirDevice() throws {
        let device = try #require(
            try Self.load(
                """
                devices:
                  - name: chiller-1
                    host: 10.0.0.13
                    port: 1502
                    unit: 7
                    timeout: 250ms
                    poll: 2s
                    byte_order: CDAB
                    max_registers: 60
                    max_bits: 800
                    max_gap: 0
                    tags:
                      - { name: a, register: holding, address: 0, type: float32 }
                      - { name: b, register: holding, address: 2, type: float32, byte_order: DCBA, poll: 250ms }
                      - { name: c, register: input, address: 0, type: int16, scale: 0.1, offset: -40, unit: degC }
                """
            ).devices.first)
        #expect(device.port == 1502)
        #expect(device.unit == 7)
        #expect(device.timeout == .milliseconds(250))
        #expect(device.maxRegisters == 60)
        #expect(device.maxBits == 800)
        #expect(device.maxGap == 0)
        let (a, b, c) = (device.tags[0], device.tags[1], device.tags[2])
        #expect(a.poll == .seconds(2))
        #expect(a.byteOrder == .cdab)
        #expect(b.poll == .milliseconds(250))
        #expect(b.byteOrder == .dcba)
        #expect(c.scale == 0.1)
        #expect(c.offset == -40)
        #expect(c.unit == "degC")
    }

    @Test func hexAndZeroPaddedAddressesAreReadAsWritten() throws {
        let tags = try Self.load(
            """
            devices:
              - name: plc
                host: 10.0.0.12
                tags:
                  - { name: a, register: holding, address: 0x10, type: uint16 }
                  - { name: b, register: holding, address: 0100, type: uint16 }
            """
        ).devices[0].tags
        // 0100 is decimal, not YAML 1.1 octal.
        #expect(tags.map(\.address) == [16, 100])
    }

    @Test func boolWithoutBitReadsBitZeroAndStringsTakeTheirLength() throws {
        let tags = try Self.load(
            """
            devices:
              - name: plc
                host: 10.0.0.12
                tags:
                  - { name: running, register: holding, address: 0, type: bool }
                  - { name: model, register: input, address: 10, type: string, length: 8 }
            """
        ).devices[0].tags
        #expect(tags[0].bit == nil)
        #expect(tags[0].count == 1)
        #expect(tags[1].length == 8)
        #expect(tags[1].count == 8)
    }

    @Test func extensionKeysHoldTemplatesForMergeKeys() throws {
        let tags = try Self.load(
            """
            x-temperature: &temperature { register: holding, type: float32, unit: degC, poll: 500ms }
            devices:
              - name: plc
                host: 10.0.0.12
                tags:
                  - { <<: *temperature, name: supply_temp, address: 0 }
                  - { <<: *temperature, name: return_temp, address: 2, unit: degF }
            """
        ).devices[0].tags
        #expect(tags.map(\.type) == [.float32, .float32])
        #expect(tags.map(\.unit) == ["degC", "degF"])
        #expect(tags.map(\.poll) == [.milliseconds(500), .milliseconds(500)])
    }
}
