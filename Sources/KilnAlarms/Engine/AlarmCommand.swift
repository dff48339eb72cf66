import KilnCore

/// An operator's act on one alarm, from the CLI or the API.
public struct AlarmCommand: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable, CaseIterable {
        case ack, shelve, unshelve
    }

    public var action: Action
    /// The alarm path (`boiler-1/supply_temp/high`, `boiler-1/comm`) or an episode id.
    public var target: String
    /// The ack's note, or the shelve's reason (required for a shelve).
    public var note: String?
    /// A timed shelve's length; nil shelves until the alarm next returns to normal.
    public var duration: Duration?
    /// Who: `cli:root`, `api:TOKEN-NAME`.
    public var by: String

    public init(action: Action, target: String, note: String? = nil, duration: Duration? = nil, by: String) {
        self.action = action
        self.target = target
        self.note = note
        self.duration = duration
        self.by = by
    }
}

extension AlarmRecord {
    /// Applies `command` to this alarm (the same code for the engine and for a CLI working on the
    /// file alone).
    public mutating func apply(
        _ command: AlarmCommand, settings: AlarmSettings, context: TransitionContext, events: inout [AlarmEvent]
    ) throws(AlarmCommandError) {
        switch command.action {
        case .ack:
            try acknowledge(context: context, events: &events)
        case .shelve:
            guard let reason = command.note, !reason.allSatisfy(\.isWhitespace) else {
                throw AlarmCommandError("a shelve needs a reason")
            }
            var until: Int64?
            if let d = command.duration {
                guard d > .zero else { throw AlarmCommandError("a shelve's time must be positive") }
                guard d <= settings.maxShelve else {
                    throw AlarmCommandError(
                        "cannot shelve for \(AlarmDuration.text(d)): the longest shelve is "
                            + AlarmDuration.text(settings.maxShelve) + " (alarms.max_shelve)")
                }
                until = context.now + d.wholeMicroseconds
            }
            try shelve(until: until, reason: reason, context: context, events: &events)
        case .unshelve:
            try unshelve(context: context, events: &events)
        }
    }
}

extension AlarmCommandError {
    /// An unknown alarm id, naming the nearest paths.
    public static func unknown(_ id: String, among records: [AlarmRecord]) -> AlarmCommandError {
        let near = NearMatch.nearest(to: id, in: records.map(\.path) + records.compactMap(\.episode))
        var text = "no alarm or episode '\(id)'"
        if !near.isEmpty {
            text += "; did you mean " + near.map { "'\($0)'" }.joined(separator: ", ") + "?"
        } else {
            text += " (kiln alarms list shows them)"
        }
        return AlarmCommandError(text)
    }
}

/// Near matches of a mistyped id: those containing it, then the closest by edit distance.
enum NearMatch {
    static func nearest(to word: String, in candidates: [String], limit: Int = 3) -> [String] {
        let w = word.lowercased()
        let scored = candidates.map { c -> (String, Int) in
            let l = c.lowercased()
            if l.contains(w) || (w.count >= 3 && w.contains(l)) { return (c, 0) }
            return (c, distance(w, l))
        }
        let threshold = max(2, w.count / 3)
        return
            scored.filter { $0.1 <= threshold }.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.prefix(limit).map(
                \.0)
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var prev = row[0]
            row[0] = i
            for j in 1...b.count {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return row[b.count]
    }
}

/// Durations as alarm messages word them.
enum AlarmDuration {
    static func text(_ d: Duration) -> String {
        let s = d.wholeMicroseconds / 1_000_000
        if s % 3600 == 0 { return "\(s / 3600)h" }
        if s % 60 == 0 { return "\(s / 60)m" }
        return "\(s)s"
    }
}
