import KilnCore
import Testing

struct DecodingTests {
    @Test func placeholder() { #expect(Decoding.ascii([0x4142]) == "AB") }
}
