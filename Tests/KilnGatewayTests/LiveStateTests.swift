import Foundation
import KilnCore
import Synchronization
import Testing

@testable import KilnGateway

/// The live state: the latest raw and conditioned sample of every tag, from any thread.
struct LiveStateTests {
    @Test func keepsTheLatestRawAndConditionedSampleOfEachTag() {
        let index = TagIndex(tagCounts: [2, 3])
        let live = LiveState(index: index)
        #expect(live.sample(device: 1, tag: 2) == nil, "no sample yet")
        let first = Sample(
            device: 1, tag: 2, value: .double(81.5), raw: .double(90), status: .good, projected: 82,
            timestamp: 1_000)
        let spike = Sample(
            device: 1, tag: 2, value: .double(81.6), raw: .double(300), status: .uncertainLastUsableValue,
            reason: "spike: a step faster than max_rate, rejected", fault: .spike, timestamp: 2_000)
        let text = Sample(device: 0, tag: 1, value: .string("RUN"), raw: .string("RUN"), status: .good, timestamp: 3)
        let counter = Sample(device: 0, tag: 0, value: .uint(.max), raw: .uint(.max), status: .good, timestamp: 4)
        #expect(live.consume([first, text, counter]))
        #expect(live.consume([spike]))
        #expect(live.sample(device: 1, tag: 2) == spike)
        #expect(live.sample(device: 0, tag: 1) == text)
        #expect(live.sample(device: 0, tag: 0) == counter)
        #expect(live.sample(device: 1, tag: 0) == nil)
        #expect(live.sample(device: 2, tag: 0) == nil, "no such device")
        var seen: [Sample] = []
        live.forEach { seen.append($0) }
        #expect(seen == [counter, text, spike], "slot order")
    }

    @Test func aSampleOfNoTagIsIgnored() {
        let live = LiveState(index: TagIndex(tagCounts: [1]))
        #expect(live.consume([Sample(device: 0, tag: 5, value: nil, raw: nil, status: .good, timestamp: 0)]))
        #expect(live.consume([Sample(device: -1, tag: 0, value: nil, raw: nil, status: .good, timestamp: 0)]))
        var count = 0
        live.forEach { _ in count += 1 }
        #expect(count == 0)
    }

    /// 1,000 devices × 20 tags: fixed 48-byte slots, under a megabyte all told.
    @Test func aThousandDevicesOfTwentyTagsTakeUnderAMegabyte() {
        #expect(MemoryLayout<LiveSlot>.stride == 48)
        let live = LiveState(index: TagIndex(tagCounts: Array(repeating: 20, count: 1_000)))
        #expect(live.footprint < 1_000_000, "\(live.footprint) bytes")
    }

    @Test func distinctStringsBeyondTheTableAreShownAsLost() {
        let live = LiveState(index: TagIndex(tagCounts: [1]))
        for i in 0..<(LiveTexts.capacity + 10) {
            _ = live.consume([Sample(device: 0, tag: 0, value: .string("v\(i)"), raw: nil, status: .good, timestamp: 0)]
            )
        }
        #expect(live.sample(device: 0, tag: 0)?.value == .string("…"))
    }

    /// Readers on other threads while the pipeline writes: every sample they read is whole (each
    /// written sample's value equals its raw and its timestamp), and the writer is never stopped.
    @Test func readersNeverSeeATornSample() {
        let index = TagIndex(tagCounts: Array(repeating: 20, count: 50))
        let live = LiveState(index: index)
        final class Flags: Sendable {
            let stop = Atomic<Bool>(false)
            let torn = Atomic<Int>(0)
            let reads = Atomic<Int>(0)
            let readers = Atomic<Int>(0)
        }
        let flags = Flags()
        for _ in 0..<2 {
            Thread.detachNewThread {
                while !flags.stop.load(ordering: .relaxed) {
                    live.forEach { s in
                        let t = Double(s.timestamp)
                        if s.value != .double(t) || s.raw != .double(-t) { flags.torn.add(1, ordering: .relaxed) }
                    }
                    flags.reads.add(1, ordering: .relaxed)
                }
                flags.readers.add(1, ordering: .relaxed)
            }
        }
        var batch: [Sample] = []
        for round in 1...400 {
            for d in 0..<50 {
                batch.removeAll(keepingCapacity: true)
                let t = Int64(round * 1_000 + d)
                for tag in 0..<20 {
                    batch.append(
                        Sample(
                            device: d, tag: tag, value: .double(Double(t)), raw: .double(-Double(t)), status: .good,
                            timestamp: t))
                }
                _ = live.consume(batch)
            }
        }
        #expect(eventually { flags.reads.load(ordering: .relaxed) > 0 })
        flags.stop.store(true, ordering: .relaxed)
        #expect(eventually { flags.readers.load(ordering: .relaxed) == 2 })
        #expect(flags.torn.load(ordering: .relaxed) == 0)
        #expect(live.sample(device: 49, tag: 19)?.timestamp == 400_049)
    }
}
