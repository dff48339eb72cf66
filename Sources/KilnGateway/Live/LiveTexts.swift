/// The strings the live state refers to by number (reasons, string values): each stored once,
/// at most `capacity` of them, so a flood of distinct strings cannot grow the process.
struct LiveTexts {
    static let capacity = 4_096
    private var numbers: [String: UInt16] = [:]
    /// Entry 0 stands for "none".
    private(set) var texts: [String] = [""]

    /// The number of `text`; nil when the table is full and `text` is new.
    mutating func number(_ text: String) -> UInt16? {
        if let n = numbers[text] { return n }
        guard texts.count < Self.capacity else { return nil }
        let n = UInt16(texts.count)
        texts.append(text)
        numbers[text] = n
        return n
    }
}
