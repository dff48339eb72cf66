import KilnCore

/// The time the historian covers: when a gateway run was writing it, less the intervals it could
/// not store (`gaps`). Everything else — before the first run, between runs, after the last
/// committed sample of a run that did not stop cleanly, after the last run, the future, and a
/// disk-full gap — is not covered: no value holds into it, and it is never Good.
///
/// Built from the `runs` and `gaps` tables (a few rows per restart), so it is small and held in
/// memory while an export streams the points.
public struct Coverage: Sendable, Hashable {
    /// What exports and aggregates carry where uncovered time begins: no value, and OPC UA's
    /// `BadNoData` ("no data exists for the requested time range").
    public static let status = StatusCode.badNoData.rawValue

    /// The covered intervals `[start, end)`, sorted, disjoint and not touching.
    public let intervals: [Range<Int64>]

    /// - Parameters:
    ///   - covered: intervals when a run was writing; they may overlap and come in any order.
    ///   - lost: intervals the writer could not store; taken out of `covered`.
    public init(covered: [Range<Int64>], lost: [Range<Int64>] = []) {
        var merged: [Range<Int64>] = []
        for r in covered.filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, r.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        for gap in lost where !gap.isEmpty {
            var out: [Range<Int64>] = []
            for r in merged {
                guard r.overlaps(gap) else {
                    out.append(r)
                    continue
                }
                if r.lowerBound < gap.lowerBound { out.append(r.lowerBound..<gap.lowerBound) }
                if gap.upperBound < r.upperBound { out.append(gap.upperBound..<r.upperBound) }
            }
            merged = out
        }
        intervals = merged
    }

    /// Where uncovered time begins (the end of each covered interval), in time order.
    public var uncoveredStarts: [Int64] { intervals.map(\.upperBound) }

    /// Whether `time` is covered.
    public func covers(_ time: Int64) -> Bool {
        intervals.contains { $0.contains(time) }
    }

    /// The last place uncovered time begins before `time`, if any.
    func lastUncoveredStart(before time: Int64) -> Int64? {
        uncoveredStarts.last { $0 < time }
    }

    /// The first place uncovered time begins at or after `time`, if any.
    func firstUncoveredStart(atOrAfter time: Int64) -> Int64? {
        uncoveredStarts.first { $0 >= time }
    }

    /// The places uncovered time begins in `[from, to)`, in order.
    func uncoveredStarts(from: Int64, to: Int64) -> [Int64] {
        uncoveredStarts.filter { $0 >= from && $0 < to }
    }
}
