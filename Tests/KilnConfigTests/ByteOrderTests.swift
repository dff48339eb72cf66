import KilnConfig
import KilnCore
import Testing

/// Byte order names in maps: the four orders, the 8-letter 64-bit synonyms, any letter case.
struct ByteOrderTests {
    static func order(_ name: String, type: String = "float64") throws(ConfigError) -> ByteOrder {
        let yaml = """
            devices:
              - name: plc
                host: 10.0.0.12
                tags:
                  - { name: value, register: holding, address: 0, type: \(type), byte_order: \(name) }
            """
        return try ConfigLoader.load(yaml: yaml, path: "orders.yaml").devices[0].tags[0].byteOrder
    }

    @Test(arguments: [
        ("ABCD", ByteOrder.abcd), ("CDAB", .cdab), ("BADC", .badc), ("DCBA", .dcba),
        ("ABCDEFGH", .abcd), ("GHEFCDAB", .cdab), ("BADCFEHG", .badc), ("HGFEDCBA", .dcba),
        ("cdab", .cdab), ("hgfedcba", .dcba),
    ])
    func namesAndSynonyms(name: String, expected: ByteOrder) throws {
        #expect(try Self.order(name) == expected)
    }

    @Test func everyThirtyTwoAndSixtyFourBitTypeTakesAnOrder() throws {
        for type in ["int32", "uint32", "float32", "int64", "uint64", "float64"] {
            #expect(try Self.order("DCBA", type: type) == .dcba)
        }
    }

    @Test func deviceOrderAcceptsTheSynonymsToo() throws {
        let yaml = """
            devices:
              - name: plc
                host: 10.0.0.12
                byte_order: GHEFCDAB
                tags:
                  - { name: value, register: holding, address: 0, type: uint64 }
            """
        let device = try ConfigLoader.load(yaml: yaml, path: "orders.yaml").devices[0]
        #expect(device.byteOrder == .cdab)
        #expect(device.tags[0].byteOrder == .cdab)
    }

    @Test func aMisspeltOrderNamesTheNearestOne() {
        let error = #expect(throws: ConfigError.self) { try Self.order("ABDC") }
        #expect(
            error?.diagnostics.map(\.description) == [
                "orders.yaml:5:82: error: unknown byte_order 'ABDC'; did you mean 'ABCD'?"
            ])
    }
}
