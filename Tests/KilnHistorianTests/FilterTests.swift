import Foundation
import KilnCore
import KilnTestSupport
import Testing

@testable import KilnHistorian

/// Exception and swinging-door filtering through the writer and the file: the stated error bound.
struct FilterTests {
    @Test func storedPointsReproduceEverySampleWithinTheStatedBound() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("f.db")
        let deadband = 0.1
        let compression = 0.2
        var samples: [Sample] = []
        var state: UInt64 = 12345
        for k in 0..<3600 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let noise = Double(state >> 11) / Double(1 << 53) - 0.5
            let v = 60 + 20 * sin(Double(k) / 300) + 0.15 * noise
            // A status change at 1000 s must be stored on both sides.
            let status: StatusCode = (1000..<1010).contains(k) ? .uncertainSensorNotAccurate : .good
            samples.append(sample(0, jan1 + Int64(k) * second, .double(v), status: status))
        }
        let filters: [[TagHistorianConfig?]] = [
            [
                TagHistorianConfig(deadband: deadband, compression: compression, maxInterval: .seconds(60)), nil, nil,
                nil,
            ]
        ]
        let stats = try writeThroughWriter(
            db, filters: filters,
            batches: stride(from: 0, to: 3600, by: 100).map {
                Array(samples[$0..<$0 + 100])
            })
        let reader = try HistoryReader(path: db)
        let stored = try reader.points(of: reader.tag("boiler-1/supply_temp"), from: jan1, to: jan1 + hour)
        #expect(stored.count + stats.filteredOut == samples.count)
        #expect(stored.count < samples.count / 4, "the filter stores far fewer points (\(stored.count))")
        #expect(stored.first?.time == jan1)
        #expect(stored.last?.time == samples.last?.timestamp)

        // Never more than max_interval between stored points.
        for (a, b) in zip(stored, stored.dropFirst()) { #expect(b.time - a.time <= 60 * second) }
        // Both sides of each status change.
        let times = Set(stored.map(\.time))
        for k in [999, 1000, 1009, 1010] { #expect(times.contains(jan1 + Int64(k) * second), "status edge at \(k) s") }

        // Every sample lies within deadband + compression of the line through the stored points.
        var j = 0
        var worst = 0.0
        for s in samples {
            while j + 1 < stored.count, stored[j + 1].time <= s.timestamp { j += 1 }
            let a = stored[j]
            let v = s.value!.number!
            if a.time == s.timestamp {
                #expect(a.value?.number == v)
                continue
            }
            let b = stored[j + 1]
            let (x0, y0, x1, y1) = (Double(a.time), a.value!.number!, Double(b.time), b.value!.number!)
            let line = y0 + (y1 - y0) * (Double(s.timestamp) - x0) / (x1 - x0)
            worst = max(worst, abs(v - line))
        }
        #expect(worst <= deadband + compression + 1e-9, "worst deviation \(worst)")
    }

    @Test func noSettingsStoresEverySample() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("f.db")
        let samples = (0..<500).map { sample(0, jan1 + Int64($0) * second, .double(20)) }
        let stats = try writeThroughWriter(
            db, filters: [[TagHistorianConfig(), nil, nil, nil]], batches: [samples])
        #expect(stats.filteredOut == 0)
        #expect(stats.rowsWritten == 500)
    }
}
