/// A point in wall-clock time: microseconds since the Unix epoch, UTC, the unit sample
/// timestamps use. The instant of ``WallClock`` and ``ManualClock``.
public struct EpochInstant: InstantProtocol, Sendable, Hashable, CustomStringConvertible {
    public var microseconds: Int64

    @inlinable
    public init(microseconds: Int64) { self.microseconds = microseconds }

    @inlinable
    public func advanced(by duration: Duration) -> EpochInstant {
        EpochInstant(microseconds: microseconds &+ duration.wholeMicroseconds)
    }

    @inlinable
    public func duration(to other: EpochInstant) -> Duration {
        .microseconds(other.microseconds &- microseconds)
    }

    @inlinable
    public static func < (lhs: EpochInstant, rhs: EpochInstant) -> Bool { lhs.microseconds < rhs.microseconds }

    public var description: String { Timestamp.rfc3339(micros: microseconds) }
}

extension Duration {
    /// The duration in whole microseconds, rounded toward zero.
    @inlinable
    public var wholeMicroseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1_000_000 &+ attoseconds / 1_000_000_000_000
    }
}

/// The clock Kiln injects wherever it reads or waits for time: Swift's `Clock` with instants
/// in Unix-epoch microseconds, so a timestamp it gives is a sample timestamp. ``WallClock`` in
/// production, ``ManualClock`` in tests.
public protocol EpochClock: Clock, Sendable where Instant == EpochInstant, Duration == Swift.Duration {}
