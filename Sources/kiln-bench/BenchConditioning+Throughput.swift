import KilnCore
import KilnSignal

/// Samples per second through the gateway's Conditioner on one core, next to a fixed-α
/// exponential average over the same samples in the same run.
struct ConditioningThroughput {
    var tags: Int
    var cycles: Int
    var repeats: Int

    func run(into report: inout BenchReport) {
        // Every tag thermal, with range, sentinels and stuck: the full per-sample path.
        let tagConfigs = (0..<tags).map { i in
            TagConfig(
                name: "t\(i)", register: .holding, address: 2 * i, type: .float32, poll: .seconds(1),
                conditioning: ConditioningConfig(
                    range: -50...500, sentinels: [-9999],
                    thermal: ThermalConfig(tau: .seconds(30 + i % 600), maxRate: 2, noise: 0.1),
                    stuck: .seconds(600)))
        }
        let config = GatewayConfig(
            path: "", devices: [DeviceConfig(name: "d", host: "127.0.0.1", tags: tagConfigs)])
        var random = SplitMix64(seed: 7)
        var samples: [Sample] = []
        samples.reserveCapacity(tags * cycles)
        var levels = (0..<tags).map { _ in 20 + 60 * random.uniform() }
        for cycle in 0..<cycles {
            let cycleStart = 1_700_000_000_000_000 + Int64(cycle) * 1_000_000
            for t in 0..<tags {
                // Reply times jitter by up to a millisecond, as real polls do.
                let ts = cycleStart + Int64(random.uniform() * 1000)
                if cycle % 300 == t % 300 { levels[t] = 20 + 60 * random.uniform() }
                let reading = levels[t] + 0.1 * random.gaussian()
                samples.append(
                    Sample(
                        device: 0, tag: t, value: .double(reading), raw: .double(reading), unscaled: .double(reading),
                        status: .good, timestamp: ts))
            }
        }
        // Batches of one sample per tag, as a poll cycle hands them over.
        var batches: [[Sample]] = []
        var at = 0
        while at < samples.count {
            batches.append(Array(samples[at..<min(at + tags, samples.count)]))
            at += tags
        }
        var best = Double.infinity
        var bestReference = Double.infinity
        var checksum = 0.0
        for _ in 0..<repeats {
            // Fresh storage for every batch, so no copy-on-write happens inside the timing.
            var work = batches.map { batch in batch.map { $0 } }
            var conditioner = Conditioner(config: config)
            let started = ContinuousClock.now
            for k in work.indices { conditioner.condition(&work[k]) }
            best = min(best, (ContinuousClock.now - started).seconds)
            checksum += work.last?.last?.value?.number ?? 0

            var reference = batches.map { batch in batch.map { $0 } }
            var average = FixedAlphaReference(config: config)
            let referenceStarted = ContinuousClock.now
            for k in reference.indices { average.condition(&reference[k]) }
            bestReference = min(bestReference, (ContinuousClock.now - referenceStarted).seconds)
            checksum += reference.last?.last?.value?.number ?? 0
        }
        let rate = Double(samples.count) / best
        let referenceRate = Double(samples.count) / bestReference
        report.add("throughput_samples", samples.count)
        report.add("throughput_tags", tags)
        report.add("conditioning_samples_per_s", rate.rounded(), digits: 0)
        report.add("reference_alpha02_samples_per_s", referenceRate.rounded(), digits: 0)
        report.add("conditioning_to_reference_ratio", rate / referenceRate, digits: 3)
        if checksum.isNaN { report.add("checksum", checksum) }
    }
}

/// The reference loop: a per-sample exponential average with fixed α = 0.2, indexed the same
/// way and writing the same fields.
struct FixedAlphaReference {
    private let firstTag: [Int]
    private var state: [Double]
    private var seen: [Bool]

    init(config: GatewayConfig) {
        var first: [Int] = []
        var count = 0
        for device in config.devices {
            first.append(count)
            count += device.tags.count
        }
        firstTag = first
        state = Array(repeating: 0, count: count)
        seen = Array(repeating: false, count: count)
    }

    mutating func condition(_ samples: inout [Sample]) {
        for i in samples.indices {
            let index = firstTag[samples[i].device] + samples[i].tag
            guard let y = samples[i].raw?.number else { continue }
            let s = seen[index] ? state[index] + 0.2 * (y - state[index]) : y
            state[index] = s
            seen[index] = true
            samples[i].value = .double(s)
            samples[i].status = .good
        }
    }
}
