import Logging

/// A log handler that keeps the metadata set on it and hands it to the handler it wraps only
/// when something is logged. Hummingbird sets a request id on its logger for every request;
/// swift-log's `StreamLogHandler` formats all of its metadata again at each set, which was a
/// tenth of the server's CPU per `/api/v1/tags` request (tools/bench/http.sh, perf).
struct DeferredMetadataLogHandler: LogHandler {
    private var base: any LogHandler
    var metadata: Logger.Metadata = [:]

    init(base: any LogHandler) { self.base = base }

    /// `logger` with its handler wrapped (same label, level and metadata).
    static func wrap(_ logger: Logger) -> Logger {
        let handler = DeferredMetadataLogHandler(base: logger.handler)
        return Logger(label: logger.label) { _ in handler }
    }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, explicit in explicit }
        }
        base.log(event: event)
    }
}
