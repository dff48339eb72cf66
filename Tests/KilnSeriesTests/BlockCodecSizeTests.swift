import Foundation
import Testing

@testable import KilnSeries

/// How small blocks of realistic signals get. These assert generous ceilings; the printed
/// figures are the measurement.
struct BlockCodecSizeTests {
    func measure(_ name: String, _ points: [Point], grid: BlockCodec.Grid? = nil) throws -> Double {
        let bytes = BlockCodec.encode(points, grid: grid)
        #expect(try BlockCodec.decode(bytes).bitwiseEquals(points), "\(name)")
        let perPoint = Double(bytes.count) / Double(points.count)
        print("bytes/point \(name): \(String(format: "%.3f", perPoint))")
        return perPoint
    }

    @Test func thermalFloat32() throws {
        let trace = ThermalTrace()
        let size = try measure("float32 noise 0.05 1s", trace.points(3600, seed: 1))
        #expect(size < 4)
    }

    @Test func thermalScaledInt16() throws {
        var trace = ThermalTrace()
        trace.register = .scaled(0.1)
        let size = try measure("int16*0.1 noise 0.05 1s", trace.points(3600, seed: 2))
        #expect(size < 2)
    }

    @Test func thermalConditioned() throws {
        var trace = ThermalTrace()
        trace.filter = 5
        let size = try measure("float32 + filtered value", trace.points(3600, seed: 3))
        #expect(size < 12)
    }
}
