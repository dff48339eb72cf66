import ArgumentParser
import KilnCore
import KilnHistorian
import Logging

extension KilnCommand.Run {
    /// Opens the gateway's historian file and starts its writer thread, or returns nil when the
    /// config has no `historian:` section. A file that cannot be opened stops `kiln run` at once.
    func startHistorian(_ config: GatewayConfig, logger: Logger) throws -> HistorianWriter? {
        guard let settings = config.historian else { return nil }
        do {
            let writer = try HistorianWriter(config: config, historian: settings, logger: logger)
            try writer.start()
            logger.info(
                "historian writing",
                metadata: [
                    "kiln.path": "\(settings.path)", "kiln.flush": "\(DurationText.format(settings.flush))",
                    "kiln.raw_window": "\(DurationText.format(settings.rawWindow))",
                ])
            return writer
        } catch {
            printError("error: historian: \(error)")
            throw ExitCode(1)
        }
    }
}

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
