/// One Modbus read request: a contiguous run of registers (or bits) that covers some tags.
public struct ReadBlock: Sendable, Hashable {
    public var register: RegisterKind
    public var start: Int
    public var count: Int
    /// Indices into the device's `tags`, in address order.
    public var tags: [Int]

    public init(register: RegisterKind, start: Int, count: Int, tags: [Int]) {
        self.register = register
        self.start = start
        self.count = count
        self.tags = tags
    }

    public var end: Int { start + count - 1 }
}

/// The blocks of one device that share a poll period.
public struct ScanClass: Sendable, Hashable {
    public var period: Duration
    public var blocks: [ReadBlock]

    public init(period: Duration, blocks: [ReadBlock]) {
        self.period = period
        self.blocks = blocks
    }
}

/// Merges a device's tags into as few reads as its limits allow.
///
/// Tags of one register kind and one poll period merge into blocks of at most `max_registers`
/// registers (`maxBits` for coils and discrete inputs), reading through gaps of up to `max_gap`
/// unused registers. Unlike Telegraf's optimisers, no hand tuning is needed and, unlike Neuron or
/// EdgeX, non-contiguous tags still share a request.
public enum ReadPlanner {
    /// Scan classes ordered by period, blocks by register kind and address.
    public static func plan(_ device: DeviceConfig) -> [ScanClass] {
        var byPeriod: [Duration: [RegisterKind: [Int]]] = [:]
        for (i, tag) in device.tags.enumerated() {
            byPeriod[tag.poll, default: [:]][tag.register, default: []].append(i)
        }
        return byPeriod.keys.sorted().map { period in
            let groups = byPeriod[period]!
            let blocks = groups.keys.sorted().flatMap { kind in
                merge(groups[kind]!, of: device, limit: kind.isBit ? device.maxBits : device.maxRegisters)
            }
            return ScanClass(period: period, blocks: blocks)
        }
    }

    /// Greedy merge in address order: a tag joins the open block when the gap before it is at
    /// most `maxGap` and the block stays within `limit`.
    public static func merge(_ indices: [Int], of device: DeviceConfig, limit: Int) -> [ReadBlock] {
        let tags = device.tags
        let sorted = indices.sorted {
            (tags[$0].address, tags[$0].endAddress, $0) < (tags[$1].address, tags[$1].endAddress, $1)
        }
        var blocks: [ReadBlock] = []
        var current: ReadBlock?
        for i in sorted {
            let tag = tags[i]
            if var block = current {
                let gap = tag.address - block.end - 1
                let end = max(block.end, tag.endAddress)
                if gap <= device.maxGap, end - block.start + 1 <= limit {
                    block.count = end - block.start + 1
                    block.tags.append(i)
                    current = block
                    continue
                }
                blocks.append(block)
            }
            current = ReadBlock(register: tag.register, start: tag.address, count: tag.count, tags: [i])
        }
        if let current { blocks.append(current) }
        return blocks
    }

    /// Splits a block that failed with illegal-address in two halves of its tags, each re-merged
    /// tightly, so repeated splitting isolates the tag the device refuses.
    /// Returns nil for a block of a single tag: that tag itself is at fault.
    public static func split(_ block: ReadBlock, of device: DeviceConfig) -> [ReadBlock]? {
        guard block.tags.count > 1 else { return nil }
        let half = block.tags.count / 2
        return [Array(block.tags[..<half]), Array(block.tags[half...])].map { part in
            let tags = part.map { device.tags[$0] }
            let start = tags.map(\.address).min()!
            let end = tags.map(\.endAddress).max()!
            return ReadBlock(register: block.register, start: start, count: end - start + 1, tags: part)
        }
    }
}
