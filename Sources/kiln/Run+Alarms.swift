import KilnAlarms

/// The `kiln run` summary's alarm line: what is not normal at the end of the run.
struct AlarmSummary {
    let records: [AlarmRecord]
    /// The file `kiln alarms list` takes.
    let file: String

    var text: String {
        let open = records.filter { $0.state != .normal }
        guard !open.isEmpty else { return "alarms: \(records.count), all normal" }
        var byState: [AlarmState: Int] = [:]
        for r in open { byState[r.state, default: 0] += 1 }
        let counts = AlarmState.allCases.compactMap { s in byState[s].map { "\(s.rawValue) \($0)" } }
        let shown = open.prefix(5).map(\.path).joined(separator: ", ")
        let more = open.count > 5 ? ", …" : ""
        return "alarms: \(records.count), \(open.count) not normal (\(counts.joined(separator: ", "))): "
            + "\(shown)\(more); `kiln alarms list \(file)` shows them"
    }
}
