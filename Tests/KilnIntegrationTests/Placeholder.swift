import KilnCore
import Testing

struct IntegrationPlaceholder {
    @Test func placeholder() { #expect(Decoding.ascii([0x4142]) == "AB") }
}
