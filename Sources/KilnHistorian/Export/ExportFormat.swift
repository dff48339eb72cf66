/// `kiln export --format`.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// RFC 4180: a header, CRLF line ends, fields quoted when they hold `,`, `"` or a line break.
    case csv
    /// One JSON object per line, with the CSV header's keys.
    case jsonl
    /// InfluxDB line protocol: measurement = device, tag key `tag`, fields `value` (float; text
    /// tags use `value_text`, so that a device's measurement never mixes field types) and
    /// `status` (integer), timestamp in nanoseconds.
    case influx
}
