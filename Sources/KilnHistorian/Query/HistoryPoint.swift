/// A stored value, as the file holds it.
public enum StoredValue: Sendable, Hashable {
    /// REAL, and every number read back from a compacted block.
    case number(Double)
    /// INTEGER: integer and bool tags (bools as 0 and 1) in raw rows.
    case integer(Int64)
    case text(String)

    /// The value as a number (nil for text).
    public var number: Double? {
        switch self {
        case .number(let d): d
        case .integer(let i): Double(i)
        case .text: nil
        }
    }
}

/// One stored point of a tag.
public struct HistoryPoint: Sendable, Hashable {
    /// Microseconds since the Unix epoch, UTC.
    public var time: Int64
    /// The conditioned value; nil when the sample had none (bad).
    public var value: StoredValue?
    /// The engineering value as read.
    public var raw: StoredValue?
    /// The OPC UA StatusCode.
    public var status: UInt32

    public init(time: Int64, value: StoredValue?, raw: StoredValue?, status: UInt32) {
        self.time = time
        self.value = value
        self.raw = raw
        self.status = status
    }
}

/// A tag as the `tags` table records it.
public struct TagInfo: Sendable, Hashable {
    public var id: Int64
    public var descriptor: TagDescriptor
    public var firstSeen: Int64?
    public var lastSeen: Int64?

    public var path: String { descriptor.path }
}
