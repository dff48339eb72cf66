import KilnCore
import Synchronization

/// Records, for benchmarks, how long each batch took from its poll timestamp to its arrival at
/// each sink (just before `consume`), in microseconds of the wall clock.
///
/// Each sink's arrivals are recorded by one thread (the conditioning thread for inline sinks, the
/// sink's own for queued ones), into a buffer of its own, preallocated: recording allocates
/// nothing, and samples past `capacity` are counted but not kept.
public final class ArrivalProbe: @unchecked Sendable {
    // @unchecked: sink i's buffer and count are written only by the one thread that delivers to
    // sink i, and read by `latencies(sink:)` only after the pipeline has stopped.
    private let buffers: [UnsafeMutableBufferPointer<Int64>]
    private let counts: UnsafeMutableBufferPointer<Int>
    private let clock: any EpochClock
    private let from: Int64
    public let capacity: Int

    /// - Parameters:
    ///   - sinks: how many sinks the pipeline has.
    ///   - capacity: latencies kept per sink.
    ///   - from: samples stamped earlier (µs since the epoch) are not recorded: a warm-up.
    public init(sinks: Int, capacity: Int, warmupUntil from: Int64 = .min, clock: any EpochClock = WallClock()) {
        self.capacity = capacity
        self.clock = clock
        self.from = from
        buffers = (0..<sinks).map { _ in
            let b = UnsafeMutableBufferPointer<Int64>.allocate(capacity: capacity)
            b.initialize(repeating: 0)
            return b
        }
        counts = .allocate(capacity: sinks)
        counts.initialize(repeating: 0)
    }

    deinit {
        for b in buffers { b.deallocate() }
        counts.deallocate()
    }

    /// Records every sample of the batch: its latency is now minus its poll timestamp.
    @inline(__always)
    public func record(sink: Int, batch: [Sample]) {
        guard sink < buffers.count else { return }
        let now = clock.now.microseconds
        for s in batch where s.timestamp >= from {
            let n = counts[sink]
            if n < capacity { buffers[sink][n] = now - s.timestamp }
            counts[sink] = n + 1
        }
    }

    /// The latencies recorded for sink `sink`, µs, in arrival order.
    public func latencies(sink: Int) -> [Int64] {
        Array(buffers[sink][0..<min(counts[sink], capacity)])
    }

    /// Samples that arrived at sink `sink`, kept or not.
    public func arrivals(sink: Int) -> Int { counts[sink] }
}
