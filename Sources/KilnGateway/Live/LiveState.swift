import KilnCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The latest raw and conditioned sample, status and fault of every tag, readable from any
/// thread while the pipeline runs.
///
/// The slots are one flat array of fixed-size structs (``LiveSlot``), indexed by the gateway's
/// ``TagIndex``, guarded by striped locks of 256 slots each: the pipeline takes one stripe's
/// lock for the run of a batch that falls in it (a device's tags are adjacent), and a reader
/// copies one stripe at a time, so no reader holds the pipeline up for more than a stripe's
/// copy (a few microseconds) and a reader of the whole table never stops the pipeline.
public final class LiveState: Sink, @unchecked Sendable {
    // @unchecked: `slots` is read and written only under the lock of the slot's stripe
    // (`locks`, pthread mutexes allocated once, so their addresses never move); `texts` is a
    // Mutex.
    public let name = "live"
    public var delivery: SinkDelivery { .inline }
    public let index: TagIndex
    private let slots: UnsafeMutablePointer<LiveSlot>
    private let locks: UnsafeMutablePointer<pthread_mutex_t>
    private let stripeCount: Int
    private static let stripeShift = 8
    private let texts = Mutex(LiveTexts())

    public init(index: TagIndex) {
        self.index = index
        let count = max(index.count, 1)
        slots = .allocate(capacity: count)
        slots.initialize(repeating: LiveSlot(), count: count)
        stripeCount = (count + (1 << Self.stripeShift) - 1) >> Self.stripeShift
        locks = .allocate(capacity: stripeCount)
        for i in 0..<stripeCount { pthread_mutex_init(locks + i, nil) }
    }

    deinit {
        for i in 0..<stripeCount { pthread_mutex_destroy(locks + i) }
        locks.deallocate()
        slots.deinitialize(count: max(index.count, 1))
        slots.deallocate()
    }

    /// Bytes the slots and locks take (the text table aside).
    public var footprint: Int {
        MemoryLayout<LiveSlot>.stride * max(index.count, 1) + MemoryLayout<pthread_mutex_t>.stride * stripeCount
    }

    // MARK: Writing (the pipeline)

    /// Stores the batch's samples as the latest of their tags. Never blocks for longer than a
    /// reader's copy of one stripe.
    public func consume(_ batch: [Sample]) -> Bool {
        var held = -1
        for s in batch {
            guard let slot = index.slot(of: s) else { continue }
            let entry = makeSlot(s)
            let stripe = slot >> Self.stripeShift
            if stripe != held {
                if held >= 0 { pthread_mutex_unlock(locks + held) }
                pthread_mutex_lock(locks + stripe)
                held = stripe
            }
            slots[slot] = entry
        }
        if held >= 0 { pthread_mutex_unlock(locks + held) }
        return true
    }

    private func makeSlot(_ s: Sample) -> LiveSlot {
        var slot = LiveSlot()
        slot.timestamp = s.timestamp
        slot.value = live(s.value)
        slot.raw = live(s.raw)
        slot.projected = s.projected ?? .nan
        slot.status = s.status.rawValue
        if let reason = s.reason { slot.reason = texts.withLock { $0.number(reason) } ?? 0 }
        slot.fault = Self.code(of: s.fault)
        slot.present = true
        return slot
    }

    private func live(_ value: Value?) -> LiveValue {
        switch value {
        case nil: .none
        case .bool(let b)?: LiveValue(kind: .bool, bits: b ? 1 : 0)
        case .int(let i)?: LiveValue(kind: .int, bits: UInt64(bitPattern: i))
        case .uint(let u)?: LiveValue(kind: .uint, bits: u)
        case .double(let d)?: LiveValue(kind: .double, bits: d.bitPattern)
        case .string(let text)?:
            texts.withLock { $0.number(text) }.map { LiveValue(kind: .string, bits: UInt64($0)) }
                ?? LiveValue(kind: .stringLost, bits: 0)
        }
    }

    private static func code(of fault: Fault) -> UInt8 {
        switch fault {
        case .none: 0
        case .comm: 1
        case .range: 2
        case .spike: 3
        case .rate: 4
        case .stuck: 5
        case .stale: 6
        }
    }

    private static func fault(code: UInt8) -> Fault {
        switch code {
        case 1: .comm
        case 2: .range
        case 3: .spike
        case 4: .rate
        case 5: .stuck
        case 6: .stale
        default: .none
        }
    }

    // MARK: Reading (any thread)

    /// The latest sample of a tag; nil before its first sample, or for no tag of the gateway.
    public func sample(device: Int, tag: Int) -> Sample? {
        guard let slot = index.slot(device: device, tag: tag) else { return nil }
        let stripe = slot >> Self.stripeShift
        pthread_mutex_lock(locks + stripe)
        let entry = slots[slot]
        pthread_mutex_unlock(locks + stripe)
        guard entry.present else { return nil }
        return texts.withLock { sample(entry, device: device, tag: tag, texts: $0.texts) }
    }

    /// Calls `body` with the latest sample of every tag that has one, in slot order (device
    /// after device), copying one stripe at a time.
    public func forEach(_ body: (Sample) -> Void) {
        var copy: [LiveSlot] = []
        copy.reserveCapacity(1 << Self.stripeShift)
        for stripe in 0..<stripeCount {
            let start = stripe << Self.stripeShift
            let end = min(start + (1 << Self.stripeShift), index.count)
            guard start < end else { break }
            copy.removeAll(keepingCapacity: true)
            pthread_mutex_lock(locks + stripe)
            for slot in start..<end { copy.append(slots[slot]) }
            pthread_mutex_unlock(locks + stripe)
            let table = texts.withLock { $0.texts }
            for (offset, entry) in copy.enumerated() where entry.present {
                let (device, tag) = index.location(ofSlot: start + offset)
                body(sample(entry, device: device, tag: tag, texts: table))
            }
        }
    }

    private func sample(_ entry: LiveSlot, device: Int, tag: Int, texts: [String]) -> Sample {
        func value(_ v: LiveValue) -> Value? {
            switch v.kind {
            case .none: nil
            case .bool: .bool(v.bits != 0)
            case .int: .int(Int64(bitPattern: v.bits))
            case .uint: .uint(v.bits)
            case .double: .double(Double(bitPattern: v.bits))
            case .string: Int(v.bits) < texts.count ? .string(texts[Int(v.bits)]) : nil
            case .stringLost: .string("…")
            }
        }
        return Sample(
            device: device, tag: tag, value: value(entry.value), raw: value(entry.raw),
            status: StatusCode(rawValue: entry.status),
            reason: entry.reason == 0 || Int(entry.reason) >= texts.count ? nil : texts[Int(entry.reason)],
            fault: Self.fault(code: entry.fault), projected: entry.projected.isNaN ? nil : entry.projected,
            timestamp: entry.timestamp)
    }
}
