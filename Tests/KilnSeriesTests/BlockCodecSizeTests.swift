import Foundation
import Testing

@testable import KilnSeries

/// How small one-hour blocks of realistic signals get. The printed figures are the measurement;
/// the assertions are ceilings a regression would break.
struct BlockCodecSizeTests {
    struct Measured {
        var bytes = 0
        var points = 0
        var timeBytes = 0
        /// Lower bound of the value column, bits: the entropy of the Gaussian noise at the
        /// register's resolution, Σ log2(σ·√(2πe) / step), as if the noise-free signal were known.
        var valueFloorBits = 0.0

        var perPoint: Double { Double(bytes) / Double(points) }
        var timePerPoint: Double { Double(timeBytes) / Double(points) }
        var floorPerPoint: Double { valueFloorBits / 8 / Double(points) }

        static func += (a: inout Measured, b: Measured) {
            a.bytes += b.bytes
            a.points += b.points
            a.timeBytes += b.timeBytes
            a.valueFloorBits += b.valueFloorBits
        }
    }

    func measure(_ trace: ThermalTrace, hours: Double = 1, seed: UInt64) throws -> Measured {
        let points = trace.points(Int(hours * 3600e6 / Double(trace.period)), seed: seed)
        let bytes = BlockCodec.encode(points)
        #expect(try BlockCodec.decode(bytes).bitwiseEquals(points))
        let times = BlockCodec.encode(points.map { Point(time: $0.time, value: 0, raw: 0) })
        var floor = 0.0
        for point in points {
            let step: Double =
                switch trace.register {
                case .float32: Double(Float(point.raw!).ulp)
                case .scaled(let scale): scale
                }
            floor += max(0, log2(trace.noise * (2 * Double.pi * exp(1.0)).squareRoot() / step))
        }
        return Measured(bytes: bytes.count, points: points.count, timeBytes: times.count, valueFloorBits: floor)
    }

    func report(_ name: String, _ m: Measured) {
        print(
            String(
                format: "bytes/point %-28@ %6.3f  (time %.3f, value floor %.3f)", name as NSString, m.perPoint,
                m.timePerPoint, m.floorPerPoint))
    }

    /// The brief's case: float32 values, noise 0.05, polled every second with reply jitter.
    @Test func float32Thermal() throws {
        let m = try measure(ThermalTrace(), seed: 1)
        report("float32 σ0.05 1s", m)
        #expect(m.perPoint < m.timePerPoint + m.floorPerPoint + 0.5)
    }

    @Test func scaledInt16Thermal() throws {
        var trace = ThermalTrace()
        trace.register = .scaled(0.1)
        let m = try measure(trace, seed: 2)
        report("int16*0.1 σ0.05 1s", m)
        #expect(m.perPoint < 1.6)
    }

    /// Value conditioned (exponential filter, a full double), raw the float32 reading.
    @Test func conditionedThermal() throws {
        var trace = ThermalTrace()
        trace.filter = 5
        let m = try measure(trace, seed: 3)
        report("float32 + conditioned value", m)
        #expect(m.perPoint < 10)
    }

    /// The demo plant's temperature tags (devices/plant.yaml), one hour each, value == raw as
    /// today; the blocks the historian compacts.
    @Test func demoPlantThermalTags() throws {
        func tag(
            _ register: ThermalTrace.Register, poll: Int64, _ low: Double, _ high: Double, tau: Double,
            noise: Double, cycle: Double
        ) -> ThermalTrace {
            var trace = ThermalTrace()
            trace.register = register
            trace.period = poll
            trace.low = low
            trace.high = high
            trace.tau = tau
            trace.noise = noise
            trace.cycle = cycle
            return trace
        }
        let tags: [(String, ThermalTrace)] = [
            ("boiler supply_temp", tag(.float32, poll: 500_000, 20, 82, tau: 90, noise: 0.15, cycle: 600)),
            ("boiler return_temp", tag(.float32, poll: 500_000, 20, 64, tau: 150, noise: 0.1, cycle: 600)),
            ("boiler flue_gas_temp", tag(.float32, poll: 1_000_000, 25, 185, tau: 60, noise: 0.5, cycle: 600)),
            (
                "boiler boiler_room_temp",
                tag(.scaled(0.1), poll: 5_000_000, 22, 27, tau: 1800, noise: 0.05, cycle: 3600)
            ),
            ("chiller chw_supply_temp", tag(.float32, poll: 500_000, 12, 6.5, tau: 300, noise: 0.05, cycle: 1200)),
            ("chiller chw_return_temp", tag(.float32, poll: 500_000, 14, 12, tau: 300, noise: 0.05, cycle: 1200)),
            ("chiller condenser_temp", tag(.float32, poll: 1_000_000, 24, 29.5, tau: 240, noise: 0.08, cycle: 1200)),
            ("pump-1 motor_temp", tag(.scaled(0.1), poll: 5_000_000, 30, 68, tau: 900, noise: 0.1, cycle: .infinity)),
            ("pump-2 motor_temp", tag(.scaled(0.1), poll: 5_000_000, 52, 55, tau: 1200, noise: 0.1, cycle: .infinity)),
            ("pump-3 motor_temp", tag(.scaled(0.1), poll: 5_000_000, 47, 49, tau: 1200, noise: 0.1, cycle: .infinity)),
        ]
        var float32 = Measured()
        var scaled = Measured()
        for (i, (name, trace)) in tags.enumerated() {
            let m = try measure(trace, seed: UInt64(100 + i))
            report(name, m)
            if case .float32 = trace.register { float32 += m } else { scaled += m }
            #expect(m.perPoint < m.timePerPoint + m.floorPerPoint + 0.5, "\(name)")
        }
        var all = float32
        all += scaled
        report("plant float32 temperatures", float32)
        report("plant int16 temperatures", scaled)
        report("plant all temperatures", all)
        #expect(scaled.perPoint < 2)
    }
}
