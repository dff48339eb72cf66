import KilnCore

/// How samples are printed by `kiln read` and `kiln run`.
enum SampleText {
    /// `{"device": …, "tag": …, "value": …, "raw": …, "unit": …, "quality": …, "status": …, "ts": …}`,
    /// plus `reason` when the status is not good, `fault` when the conditioner classified one and
    /// `projected` for thermal tags. `value` is the conditioned value, `raw` the reading as read.
    static func json(_ sample: Sample, device: DeviceConfig, tag: TagConfig) -> String {
        var out = "{\"device\": \(JSON.quote(device.name)), \"tag\": \(JSON.quote(tag.name))"
        out += ", \"value\": \(ValueFormat.json(sample.status.isBad ? nil : sample.value, tag: tag))"
        out += ", \"raw\": \(ValueFormat.json(sample.raw, tag: tag))"
        out += ", \"unit\": \(tag.unit.map(JSON.quote) ?? "null")"
        out += ", \"quality\": \"\(sample.status.quality.rawValue)\", \"status\": \"\(sample.status.name)\""
        out += ", \"ts\": \"\(Timestamp.rfc3339(micros: sample.timestamp))\""
        if let reason = sample.reason { out += ", \"reason\": \(JSON.quote(reason))" }
        if sample.fault != .none { out += ", \"fault\": \"\(sample.fault.rawValue)\"" }
        if let projected = sample.projected {
            out += ", \"projected\": \(ValueFormat.json(.double(projected), tag: tag))"
        }
        return out + "}"
    }

    /// An aligned table with a header, one row per sample.
    static func table(_ rows: [(DeviceConfig, TagConfig, Sample)]) -> String {
        let header = ["DEVICE", "TAG", "VALUE", "UNIT", "STATUS", "REASON"]
        let body = rows.map { device, tag, sample in
            [
                device.name, tag.name, sample.status.isBad ? "-" : ValueFormat.text(sample.value, tag: tag),
                tag.unit ?? "", sample.status.name, sample.reason ?? "",
            ]
        }
        return align([header] + body, rightAligned: [2])
    }

    static func align(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        guard let columns = rows.first?.count else { return "" }
        let widths = (0..<columns).map { c in rows.map { $0[c].count }.max() ?? 0 }
        var out = ""
        for row in rows {
            var line = ""
            for (c, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[c] - cell.count)
                if c > 0 { line += "  " }
                line += rightAligned.contains(c) ? padding + cell : cell + padding
            }
            while line.last == " " { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
