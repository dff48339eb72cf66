import KilnSeries

/// What `kiln export` asks for.
public struct ExportRequest: Sendable {
    public var from: Int64
    public var to: Int64
    /// `device/tag` names or globs; empty = every tag.
    public var tags: [String]
    /// Interval length (µs) and aggregates; nil every = raw points.
    public var every: Int64?
    /// A bucket boundary (µs since the epoch): boundaries are `origin + k·every`. 0 aligns
    /// buckets to the clock (multiples of `every` since the epoch); `kiln export --offset`.
    public var origin: Int64 = 0
    public var aggregates: [Aggregate]
    public var format: ExportFormat

    public init(
        from: Int64, to: Int64, tags: [String] = [], every: Int64? = nil, aggregates: [Aggregate] = [],
        format: ExportFormat = .csv
    ) {
        self.from = from
        self.to = to
        self.tags = tags
        self.every = every
        self.aggregates = aggregates
        self.format = format
    }
}

/// Streams a range of history out of the file in a chosen format, tag by tag and in time order
/// within each tag, in constant memory whatever the range.
///
/// Time the historian did not cover (between runs, after a run's last committed sample, a
/// disk-full gap, the future) is marked: raw exports carry a row with no value and status
/// `BadNoData` where each such stretch begins; aggregate rows over it read `BadNoData`, with no
/// value carried into it and no Good time.
public struct Exporter {
    public let reader: HistoryReader
    public let request: ExportRequest
    public let tags: [TagInfo]

    /// Checks the request against the file.
    /// - Throws: when `from` is not before `to`, or a tag pattern matches nothing.
    public init(reader: HistoryReader, request: ExportRequest) throws(HistorianError) {
        guard request.from < request.to else {
            throw HistorianError(
                "--from (\(ExportEncoderText.time(request.from))) must be before --to (\(ExportEncoderText.time(request.to)))"
            )
        }
        if let every = request.every, every <= 0 { throw HistorianError("--every must be positive") }
        self.reader = reader
        self.request = request
        self.tags = try reader.tags(matching: request.tags)
    }

    /// Writes everything to `out`. `progress` is called now and then with the fraction done
    /// (by tags and time) and the rows written so far.
    public func run(to out: OutputBuffer, progress: (Double, Int) -> Void = { _, _ in }) throws -> Int {
        let encoder = ExportEncoder(
            format: request.format, out: out, aggregates: request.every == nil ? nil : request.aggregates)
        try encoder.header()
        // When the gateway ran, less what it could not store: uncovered time is marked, and
        // never aggregated as Good or as holding a value.
        let coverage = try reader.coverage()
        var rows = 0
        let span = Double(request.to - request.from)
        for (n, tag) in tags.enumerated() {
            encoder.begin(tag.descriptor)
            let done = Double(n) / Double(tags.count)
            if let every = request.every {
                try reader.forEachAggregate(
                    of: tag, from: request.from, to: request.to, every: every, origin: request.origin,
                    aggregates: request.aggregates, coverage: coverage
                ) { row in
                    try encoder.write(row)
                    rows += 1
                    if rows & 0xFFFF == 0 {
                        progress(done + Double(row.start - request.from) / span / Double(tags.count), rows)
                    }
                }
            } else {
                try reader.forEachPoint(of: tag, from: request.from, to: request.to, marking: coverage) { p in
                    try encoder.write(p)
                    rows += 1
                    if rows & 0xFFFF == 0 {
                        progress(done + Double(p.time - request.from) / span / Double(tags.count), rows)
                    }
                }
            }
        }
        try encoder.finish()
        progress(1, rows)
        return rows
    }
}

/// Times in messages.
enum ExportEncoderText {
    static func time(_ micros: Int64) -> String {
        let out = OutputBuffer(fd: -1)
        let encoder = ExportEncoder(format: .csv, out: out)
        encoder.timestamp(micros)
        return String(decoding: UnsafeBufferPointer(start: out.base, count: out.count), as: UTF8.self)
    }
}
