/// "Did you mean" hints: the known word nearest to a misspelt one.
public enum Suggestion {
    /// The candidate nearest to `word` by edit distance, or nil when none is near enough to be a
    /// plausible typo: at most a third of the word's letters wrong (never more than three), or
    /// the word cut short (`float` for `float32`, `max_reg` for `max_registers`).
    ///
    /// - Parameters:
    ///   - word: what was written.
    ///   - candidates: the words that would have been accepted.
    public static func nearest(to word: String, in candidates: some Sequence<String>) -> String? {
        let lowered = word.lowercased()
        var best: (word: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, candidate.lowercased())
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        guard let best else { return nil }
        if best.distance <= min(3, max(1, lowered.count / 3)) { return best.word }
        if lowered.count >= 3, let prefixed = candidates.first(where: { $0.lowercased().hasPrefix(lowered) }) {
            return prefixed
        }
        return nil
    }

    /// The Levenshtein distance: single-character insertions, deletions and substitutions, plus
    /// the swap of two neighbours (`adrses` is one step from `adress`).
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // Three rows are enough for the optimal-string-alignment variant.
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, before[j - 2] + 1)
                }
                current[j] = value
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }

    /// `did you mean 'x'?` for the nearest candidate, or an empty string.
    static func hint(for word: String, in candidates: some Sequence<String>) -> String {
        nearest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }
}
