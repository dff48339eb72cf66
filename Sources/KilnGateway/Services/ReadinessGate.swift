import Synchronization

/// A one-way gate that a part of the gateway opens when it is ready (the HTTP server once it
/// listens): systemd hears `READY=1` only after every gate the gateway was given is open.
public final class ReadinessGate: Sendable {
    public let name: String
    private let opened = Atomic<Bool>(false)

    public init(name: String) { self.name = name }

    /// Opens the gate (again: no effect).
    public func open() { opened.store(true, ordering: .releasing) }

    public var isOpen: Bool { opened.load(ordering: .acquiring) }
}
