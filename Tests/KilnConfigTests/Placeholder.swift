import KilnCore
import Testing

struct ConfigPlaceholder {
    @Test func placeholder() { #expect(Decoding.ascii([0x4142]) == "AB") }
}
