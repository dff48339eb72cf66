import KilnCore

/// The model thread's state: every tag whose value changes over time, and the noise generator.
///
/// Each tick computes every driven tag's value outside any lock, then writes one device's tags
/// into its register image under that device's lock, skipping tags a client has written.
struct SimModel: Sendable {
    private struct DrivenTag: Sendable {
        var index: Int
        var signal: SimulatedSignal
    }

    private struct DrivenDevice: Sendable {
        let device: SimDevice
        var tags: [DrivenTag]
        var values: [Value]
    }

    private var devices: [DrivenDevice]
    private var generator: SplitMix64

    init(devices: [SimDevice], seed: UInt64) {
        generator = SplitMix64(seed: seed)
        self.devices = devices.compactMap { device in
            let deviceFaults = device.config.simulation?.faults ?? []
            let tags = device.config.tags.enumerated().compactMap { index, tag -> DrivenTag? in
                let signal = SimulatedSignal(tag: tag, deviceFaults: deviceFaults)
                return signal.isConstant ? nil : DrivenTag(index: index, signal: signal)
            }
            guard !tags.isEmpty else { return nil }
            return DrivenDevice(device: device, tags: tags, values: [])
        }
    }

    /// Advances every driven tag to `elapsed` nanoseconds since the start and serves the values.
    mutating func tick(atNanoseconds elapsed: Int64) {
        for d in devices.indices {
            devices[d].values.removeAll(keepingCapacity: true)
            for t in devices[d].tags.indices {
                devices[d].values.append(devices[d].tags[t].signal.value(atNanoseconds: elapsed, using: &generator))
            }
            let driven = devices[d]
            driven.device.image.withLock { image in
                for (tag, value) in zip(driven.tags, driven.values) where !image.held[tag.index] {
                    image.write(value, tag: tag.signal.tag)
                }
            }
        }
    }

    /// Ticks every `period` nanoseconds to absolute deadlines until the run stops.
    mutating func run(period: Int64, runtime: SimRuntime) {
        var deadline = SimThread.monotonicNanoseconds()
        while !runtime.isStopping {
            deadline += period
            let now = SimThread.monotonicNanoseconds()
            // After a stall, skip the missed ticks: the model is exact for any step.
            if deadline < now { deadline = now }
            guard runtime.sleep(untilNanoseconds: deadline) else { return }
            tick(atNanoseconds: SimThread.monotonicNanoseconds() - runtime.startNanoseconds)
        }
    }
}
