/// The first and last bytes of one output stream of a run (`limit` each), and how many there
/// were in all.
public struct CapturedOutput: Sendable, Hashable {
    public var head: [UInt8]
    /// The last bytes after `head` (never overlapping it): empty when everything fitted in `head`.
    public var tail: [UInt8]
    public var total: Int

    public init(head: [UInt8] = [], tail: [UInt8] = [], total: Int = 0) {
        self.head = head
        self.tail = tail
        self.total = total
    }

    /// Bytes kept at each end.
    public static let limit = 4096

    /// Whether bytes between `head` and `tail` were dropped.
    public var isTruncated: Bool { total > head.count + tail.count }

    /// Takes the next bytes of the stream: they fill `head` first, then the rolling `tail`.
    public mutating func append(_ bytes: some Collection<UInt8>, limit: Int = CapturedOutput.limit) {
        total += bytes.count
        var rest = bytes[...]
        if head.count < limit {
            let n = min(limit - head.count, rest.count)
            head += rest.prefix(n)
            rest = rest.dropFirst(n)
        }
        guard !rest.isEmpty else { return }
        tail += rest
        // Trimmed in amortised steps: at most 2 × limit is ever held.
        if tail.count > 2 * limit { tail.removeFirst(tail.count - limit) }
    }

    /// Cuts `tail` to its last `limit` bytes (after the last `append`).
    public mutating func finish(limit: Int = CapturedOutput.limit) {
        if tail.count > limit { tail.removeFirst(tail.count - limit) }
    }

    /// Head and tail as text for people, with a marker where bytes were left out.
    public var text: String {
        let h = String(decoding: head, as: UTF8.self)
        guard !tail.isEmpty else { return h }
        let skipped = total - head.count - tail.count
        let gap = skipped > 0 ? "\n[… \(skipped) bytes left out …]\n" : ""
        return h + gap + String(decoding: tail, as: UTF8.self)
    }
}
