/// A conditioned sample of a tag some rule verifies with, as the gateway hands it over.
public struct VerifySample: Sendable, Hashable {
    /// `device/tag`.
    public var tag: String
    /// The conditioned value (nil when withheld).
    public var value: Double?
    /// Its status was Good; nothing else ever verifies a run.
    public var good: Bool
    /// µs since the Unix epoch.
    public var timestamp: Int64

    public init(tag: String, value: Double?, good: Bool, timestamp: Int64) {
        self.tag = tag
        self.value = value
        self.good = good
        self.timestamp = timestamp
    }
}
