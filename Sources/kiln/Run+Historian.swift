import KilnHistorian

/// The historian's part of the `kiln run` summary.
struct HistorianSummary {
    let statistics: HistorianStatistics

    init(_ statistics: HistorianStatistics) { self.statistics = statistics }

    var text: String {
        let s = statistics
        var text =
            "historian: \(s.rowsWritten) rows in \(s.commits) commits, \(s.filteredOut) filtered out, "
            + "\(s.droppedQueueFull) dropped (queue full), \(s.lostStorage) lost to storage errors"
        if s.gaps > 0 { text += " (\(s.gaps) gaps recorded)" }
        if s.blocksWritten > 0 { text += ", \(s.blocksWritten) blocks compacted" }
        return text
    }
}
