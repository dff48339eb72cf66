import Foundation
import Testing

@testable import KilnSeries

/// The stated error bound and the forced writes, checked on seeded random and thermal signals.
struct ExceptionFilterPropertyTests {
    struct Settings: CustomStringConvertible {
        var deadband: Double?
        var compression: Double?
        var maxInterval: Int64?
        var description: String {
            "deadband \(String(describing: deadband)) compression \(String(describing: compression)) max \(String(describing: maxInterval))"
        }
    }

    static let settings: [Settings] = [
        .init(deadband: nil, compression: 0.2, maxInterval: nil),
        .init(deadband: 0.1, compression: nil, maxInterval: nil),
        .init(deadband: 0.1, compression: 0.2, maxInterval: 60_000_000),
        .init(deadband: 0.5, compression: 0.05, maxInterval: 7_000_000),
        .init(deadband: 0, compression: 0, maxInterval: nil),
        .init(deadband: 2, compression: 3, maxInterval: 3_600_000_000),
    ]

    /// Signals: thermal (float32, scaled, conditioned), a random walk with steps, and one with
    /// status changes, nil runs and non-finite values.
    static func signals(seed: UInt64) -> [(String, [Point])] {
        var random = SeededGenerator(seed: seed)
        var scaled = ThermalTrace()
        scaled.register = .scaled(0.1)
        scaled.noise = 0.4
        var conditioned = ThermalTrace()
        conditioned.filter = 10
        conditioned.period = 500_000

        var walk: [Point] = []
        var value = 0.0
        var time: Int64 = 0
        for _ in 0..<3000 {
            time += Int64.random(in: 1...3_000_000, using: &random)
            value += random.gaussian() * 0.3 + (Int.random(in: 0..<100, using: &random) == 0 ? 10 : 0)
            walk.append(Point(time: time, value: value, raw: value, status: 0))
        }

        var messy = ThermalTrace().points(3000, seed: seed)
        var status: UInt32 = 0
        for i in messy.indices {
            if Int.random(in: 0..<150, using: &random) == 0 {
                status = [0, 0x8005_0000, 0x4090_0000].randomElement(using: &random)!
            }
            messy[i].status = status
            if status == 0x8005_0000 { messy[i].value = nil }
            if Int.random(in: 0..<300, using: &random) == 0 {
                messy[i].value = [.nan, .infinity].randomElement(using: &random)!
            }
        }
        return [
            ("thermal float32", ThermalTrace().points(3000, seed: seed)),
            ("thermal int16", scaled.points(3000, seed: seed)),
            ("conditioned", conditioned.points(3000, seed: seed)),
            ("random walk", walk),
            ("statuses and gaps", messy),
        ]
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func droppedPointsLieWithinTheBound(seed: UInt64) throws {
        for settings in Self.settings {
            for (name, points) in Self.signals(seed: seed) {
                var filter = ExceptionFilter(
                    deadband: settings.deadband, compression: settings.compression, maxInterval: settings.maxInterval)
                var stored: [Point] = []
                for point in points { filter.offer(point, into: &stored) }
                stored += filter.flush()
                try check(points, stored, settings, "\(name), \(settings)")
            }
        }
    }

    /// Checks every property the doc comment states.
    func check(_ points: [Point], _ stored: [Point], _ settings: Settings, _ label: String) throws {
        // Stored points are input points, in order: find the index of each.
        var indices: [Int] = []
        var i = 0
        for s in stored {
            while i < points.count, !([points[i]].bitwiseEquals([s])) { i += 1 }
            try #require(i < points.count, "stored point not in the input: \(label)")
            indices.append(i)
            i += 1
        }
        try #require(indices.first == 0 && indices.last == points.count - 1, "\(label)")

        let c = settings.compression ?? 0
        let d = settings.deadband ?? 0
        var worst = 0.0
        for (a, b) in zip(indices, indices.dropFirst()) {
            let before = points[a]
            let after = points[b]
            if let maxInterval = settings.maxInterval {
                #expect(after.time - before.time <= maxInterval || b == a + 1, "\(label): gap at \(a)")
            }
            for x in points[(a + 1)..<b] {
                guard let v = x.value, v.isFinite else {
                    #expect(x.value?.bitPattern == before.value?.bitPattern, "\(label)")
                    #expect(x.value?.bitPattern == after.value?.bitPattern, "\(label)")
                    continue
                }
                #expect(x.status == before.status && x.status == after.status, "\(label)")
                let v0 = try #require(before.value)
                let v1 = try #require(after.value)
                let line = v0 + (v1 - v0) * Double(x.time - before.time) / Double(after.time - before.time)
                let allowed = c + (abs(v - v0) <= d ? d : 0)
                let slack = 1e-9 * max(1, abs(v), abs(v0), abs(v1))
                #expect(abs(v - line) <= allowed + slack, "\(label): \(x) off the line by \(abs(v - line))")
                worst = max(worst, abs(v - line) - allowed)
            }
        }
        for j in points.indices.dropFirst() where points[j].status != points[j - 1].status {
            #expect(indices.contains(j - 1) && indices.contains(j), "\(label): status change at \(j)")
        }
        #expect(worst <= 1e-9 * 1000, "\(label)")
    }

    @Test func compressionActuallyCompresses() {
        let points = ThermalTrace().points(7200, seed: 9)
        var filter = ExceptionFilter(deadband: 0.1, compression: 0.2, maxInterval: 60_000_000)
        var stored: [Point] = []
        for point in points { filter.offer(point, into: &stored) }
        stored += filter.flush()
        // Noise of 0.05 under a 0.1 deadband and 0.2 compression: most points go.
        #expect(stored.count < points.count / 5, "\(stored.count) of \(points.count)")
    }
}
