import CModbus
import KilnCore
import Synchronization

/// One device of the simulated plant: its register image, its request-level faults and its
/// request counter, shared by the model thread and every connection that addresses its unit.
final class SimDevice: Sendable {
    let config: DeviceConfig
    let image: Mutex<SimRegisterImage>
    let plan: SimReplyPlan
    let requests = Atomic<Int>(0)

    init(config: DeviceConfig) throws(SimulatorError) {
        self.config = config
        self.plan = try SimReplyPlan(device: config)
        var image = try SimRegisterImage(device: config)
        // Constant tags are written once; the model thread drives the rest.
        for tag in config.tags {
            let signal = SimulatedSignal(tag: tag, deviceFaults: config.simulation?.faults ?? [])
            if signal.isConstant {
                var unused = SplitMix64(seed: 0)
                var constant = signal
                image.write(constant.value(atNanoseconds: 0, using: &unused), tag: tag)
            }
        }
        self.image = Mutex(image)
    }

    /// Lets libmodbus answer a request from the image; a successful write to a tag's registers
    /// holds that tag at the written value (the model stops driving it), so setpoints stick.
    ///
    /// - Returns: `modbus_reply`'s result: the reply's length, or -1 when sending failed.
    func reply(context: SimModbusContext, adu: UnsafeRawBufferPointer, request: SimRequest?) -> Int32 {
        let bytes = SimRequestBytes(adu)
        let written = request?.written
        let tags = config.tags
        return image.withLock { image in
            let rc = modbus_reply(context.pointer, bytes.bytes, bytes.count, image.mapping)
            if rc > 0, let written, image.covers(written) {
                for (index, tag) in tags.enumerated() where written.overlaps(tag) { image.held[index] = true }
            }
            return rc
        }
    }
}

/// A connection's libmodbus context, passed into a device's critical section.
///
/// `@unchecked Sendable` is safe because a context is created, used and freed by one connection
/// thread only; the wrapper exists so the mutex's region checking accepts the call that uses
/// the context and the register image together.
struct SimModbusContext: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// A received request's bytes, valid while the connection handles it (same reasoning as
/// ``SimModbusContext``: only the receiving thread touches them).
struct SimRequestBytes: @unchecked Sendable {
    let bytes: UnsafePointer<UInt8>
    let count: Int32

    init(_ adu: UnsafeRawBufferPointer) {
        bytes = adu.baseAddress!.assumingMemoryBound(to: UInt8.self)
        count = Int32(adu.count)
    }
}

/// The request-level faults of one device: what a request gets instead of a normal reply.
///
/// Device-level faults apply to every request for the device's unit; tag-level ones to the
/// requests whose address range touches the tag, so one bad tag can be isolated. When several are
/// in force, no reply (dropout) beats an exception, which beats a normal reply, and the longest
/// `slow` delay applies first.
struct SimReplyPlan: Sendable {
    enum Action: Equatable, Sendable {
        case reply
        case drop
        case exception(UInt8)
    }

    private struct TagFault: Sendable {
        var tag: TagConfig
        var fault: SimulatedFault
    }

    private let deviceFaults: [SimulatedFault]
    private let tagFaults: [TagFault]

    static let requestKinds: Set<SimulatedFault.Kind> = [.dropout, .exception, .slow]

    init(device: DeviceConfig) throws(SimulatorError) {
        deviceFaults = (device.simulation?.faults ?? []).filter { Self.requestKinds.contains($0.kind) }
        tagFaults = device.tags.flatMap { tag in
            (tag.simulation?.faults ?? []).filter { Self.requestKinds.contains($0.kind) }.map {
                TagFault(tag: tag, fault: $0)
            }
        }
        let faults = deviceFaults + tagFaults.map(\.fault)
        for fault in faults where fault.kind == .exception && !(1...255).contains(fault.code) {
            throw SimulatorError(
                .invalidMap, "\(device.name): exception fault code \(fault.code) does not fit a Modbus reply (1…255)")
        }
    }

    var isEmpty: Bool { deviceFaults.isEmpty && tagFaults.isEmpty }

    /// What to do with `request`, `elapsed` nanoseconds after the simulator started, and how long
    /// to wait first.
    func decide(_ request: SimRequest?, atNanoseconds elapsed: Int64) -> (action: Action, delayNanoseconds: Int64) {
        var action = Action.reply
        var delay: Int64 = 0
        func apply(_ fault: SimulatedFault) {
            guard fault.isActive(atNanoseconds: elapsed) else { return }
            switch fault.kind {
            case .dropout: action = .drop
            case .exception: if action == .reply { action = .exception(UInt8(fault.code)) }
            case .slow: delay = max(delay, fault.delay.nanoseconds)
            default: break
            }
        }
        deviceFaults.forEach(apply)
        if let request {
            for entry in tagFaults where request.touches(entry.tag) { apply(entry.fault) }
        }
        return (action, delay)
    }
}
