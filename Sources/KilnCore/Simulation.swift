/// How `kiln simulate` drives one tag: a first-order thermal response to a heat input.
///
/// The value starts at `value` and, when `target` is set, approaches it with time constant
/// `tau`; with `period` set, the heat input toggles between the two levels every period, so the
/// signal is a train of first-order step responses. `noise` adds Gaussian noise (one standard
/// deviation, engineering units). Bools toggle every `period`; strings serve `text`.
public struct TagSimulation: Sendable, Hashable {
    public var value: Double
    public var text: String?
    public var target: Double?
    public var tau: Duration
    public var noise: Double
    public var period: Duration?
    public var faults: [SimulatedFault]

    public init(
        value: Double = 0, text: String? = nil, target: Double? = nil, tau: Duration = .seconds(60),
        noise: Double = 0, period: Duration? = nil, faults: [SimulatedFault] = []
    ) {
        self.value = value
        self.text = text
        self.target = target
        self.tau = tau
        self.noise = noise
        self.period = period
        self.faults = faults
    }
}

/// Device-wide behaviour of the simulated plant (dropouts, exception and slow replies).
public struct DeviceSimulation: Sendable, Hashable {
    public var faults: [SimulatedFault]

    public init(faults: [SimulatedFault] = []) { self.faults = faults }
}

/// A scripted fault. It starts `at` after the simulator starts, lasts `duration` (forever when
/// nil) and, with `every`, repeats with that period.
public struct SimulatedFault: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The tag holds its value.
        case stuck
        /// The tag jumps by `size` for one sample.
        case spike
        /// The tag drifts by `rate` units per second.
        case drift
        /// The device (or a request touching the tag) gets no reply.
        case dropout
        /// Requests get Modbus exception `code` (2 = illegal data address, 6 = busy).
        case exception
        /// Replies are delayed by `delay`.
        case slow
    }

    public var kind: Kind
    public var at: Duration
    public var duration: Duration?
    public var every: Duration?
    public var size: Double
    public var rate: Double
    public var code: Int
    public var delay: Duration

    public init(
        kind: Kind, at: Duration = .zero, duration: Duration? = nil, every: Duration? = nil,
        size: Double = 0, rate: Double = 0, code: Int = 2, delay: Duration = .seconds(1)
    ) {
        self.kind = kind
        self.at = at
        self.duration = duration
        self.every = every
        self.size = size
        self.rate = rate
        self.code = code
        self.delay = delay
    }

    /// Whether the fault is in force `elapsed` after the simulator started.
    public func isActive(at elapsed: Duration) -> Bool {
        guard elapsed >= at else { return false }
        var since = elapsed - at
        if let every, every > .zero {
            let n = (since / every).rounded(.down)
            since = since - every * n
        }
        guard let duration else { return true }
        return since < duration
    }
}
