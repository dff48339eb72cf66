import KilnCore

/// Durations as maps and command lines write them (`500ms`, `1.5s`, `365d`): parsing never traps,
/// and what parses formats back to text that parses to the same duration.
public enum FuzzDurationText: FuzzTarget {
    public static let name = "duration"

    public static func run(_ data: UnsafeRawBufferPointer) {
        let text = String(decoding: data, as: UTF8.self)
        guard let duration = DurationText.parse(text) else { return }
        let formatted = DurationText.format(duration)
        guard DurationText.parse(formatted) == duration else {
            FuzzTargets.violation(
                "\(text.debugDescription) parses to \(duration), formats as \(formatted), which reads back differently")
        }
    }
}
