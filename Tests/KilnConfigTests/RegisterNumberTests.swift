import KilnConfig
import KilnCore
import Testing

/// 1-based register numbers (40001 style) and the protocol addresses they stand for.
struct RegisterNumberTests {
    @Test(arguments: [
        (40001, RegisterKind.holding, 0), (40101, .holding, 100), (49999, .holding, 9998),
        (400001, .holding, 0), (465536, .holding, 65535), (30001, .input, 0), (300010, .input, 9),
        (10005, .discrete, 4), (165536, .discrete, 65535),
    ])
    func registerNumbers(number: Int, kind: RegisterKind, address: Int) {
        #expect(RegisterNumber.protocolAddress(forRegisterNumber: number, kind: kind) == address)
    }

    @Test(arguments: [
        (40000, RegisterKind.holding), (100, .holding), (50000, .holding), (465537, .holding),
        (40101, .input), (30001, .holding), (40101, .coil), (1, .coil), (10001, .coil), (20001, .discrete),
    ])
    func plainAddresses(number: Int, kind: RegisterKind) {
        #expect(RegisterNumber.protocolAddress(forRegisterNumber: number, kind: kind) == nil)
    }
}
