import ArgumentParser
import KilnCore
import Synchronization

/// A duration on the command line, in the maps' syntax: `--duration 30s`, `--timeout 500ms`.
///
/// Help shows a default the way it is written (`(default: 1s)`), and a value that is not a
/// duration gets a reason as well as ArgumentParser's "is invalid" (see ``KilnCommand/main()``):
/// `--timeout 2` is told that a duration needs a unit.
public struct DurationArgument: ExpressibleByArgument, CustomStringConvertible, Sendable {
    public let duration: Duration

    public init(_ duration: Duration) { self.duration = duration }

    public init?(argument: String) {
        guard let d = DurationText.parse(argument) else {
            Self.lastRejected.withLock { $0 = argument }
            return nil
        }
        duration = d
    }

    public var description: String { DurationText.format(duration) }

    public var defaultValueDescription: String { description }

    public static var defaultCompletionKind: CompletionKind { .default }

    /// Why `text` is not a duration, in the words the command line shows after the value.
    public static func problem(with text: String) -> String {
        let trimmed = text.trimmingWhitespace()
        if let number = Double(trimmed), number.isFinite {
            return "\(text): a duration needs a unit, e.g. \(trimmed)s or 500ms"
        }
        // A number and a known unit that still did not parse is too large to represent.
        if let unit = DurationText.units.sorted(by: { $0.count > $1.count }).first(where: { trimmed.hasSuffix($0) }),
            let number = Double(trimmed.dropLast(unit.count)), number.isFinite, number >= 0
        {
            return "\(text): out of range"
        }
        let units = DurationText.units.joined(separator: ", ")
        return "\(text): not a duration; write a number and a unit (\(units)), e.g. 30s or 500ms"
    }

    /// The last text ``init(argument:)`` turned down. ArgumentParser reports a value that
    /// `init?(argument:)` refused without a reason, so `KilnCommand.main` looks here to add one.
    public static let lastRejected = Mutex<String?>(nil)

    /// `message` (ArgumentParser's full usage error) with the reason a duration was refused
    /// added to the line that names it; unchanged when no duration was refused.
    public static func explaining(_ message: String) -> String {
        guard let text = lastRejected.withLock({ $0 }) else { return message }
        var lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let index = lines.firstIndex(where: { $0.contains("The value '\(text)' is invalid") }) else {
            return message
        }
        lines[index] += ": " + problem(with: text)
        return lines.joined(separator: "\n")
    }
}
