/// Every tag of a gateway as one flat slot number, device after device: built once per run and
/// shared by conditioning, the live state, the historian writer and anything else that keeps
/// per-tag state in a flat array.
public struct TagIndex: Sendable, Hashable {
    /// Slot of each device's first tag; one more entry at the end holds the total.
    private let firstSlot: [Int32]

    /// - Parameter tagCounts: the number of tags of each device, in device order.
    public init(tagCounts: [Int]) {
        var first: [Int32] = []
        first.reserveCapacity(tagCounts.count + 1)
        var total = 0
        for count in tagCounts {
            first.append(Int32(total))
            total += count
        }
        first.append(Int32(total))
        firstSlot = first
    }

    public init(_ config: GatewayConfig) {
        self.init(tagCounts: config.devices.map(\.tags.count))
    }

    /// Number of slots (tags of every device).
    @inlinable public var count: Int { slotCount }
    public var deviceCount: Int { firstSlot.count - 1 }
    @usableFromInline var slotCount: Int { Int(firstSlot[firstSlot.count - 1]) }

    /// The slot of a device's tag; nil when the gateway has no such device or tag.
    @inline(__always)
    public func slot(device: Int, tag: Int) -> Int? {
        guard device >= 0, device < firstSlot.count - 1, tag >= 0 else { return nil }
        let slot = Int(firstSlot[device]) + tag
        return slot < Int(firstSlot[device + 1]) ? slot : nil
    }

    /// The slot of a sample's tag; nil for a sample of no tag of the gateway.
    @inline(__always)
    public func slot(of sample: Sample) -> Int? { slot(device: sample.device, tag: sample.tag) }

    /// The first slot of a device and its number of tags.
    public func slots(ofDevice device: Int) -> Range<Int> { Int(firstSlot[device])..<Int(firstSlot[device + 1]) }

    /// The device and tag of a slot.
    public func location(ofSlot slot: Int) -> (device: Int, tag: Int) {
        // Binary search for the last device whose first slot is <= slot.
        var low = 0
        var high = firstSlot.count - 2
        while low < high {
            let mid = (low + high + 1) / 2
            if Int(firstSlot[mid]) <= slot { low = mid } else { high = mid - 1 }
        }
        return (low, slot - Int(firstSlot[low]))
    }
}
