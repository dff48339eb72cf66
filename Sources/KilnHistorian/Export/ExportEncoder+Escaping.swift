// The byte-level spelling of each format: constant keys, CSV quoting, JSON and line protocol escaping.
extension ExportEncoder {
    static let jsonOpen = Array("{\"ts\":\"".utf8)
    static let jsonValueKey = Array(",\"value\":".utf8)
    static let jsonRawKey = Array(",\"raw\":".utf8)
    static let jsonStatusKey = Array(",\"status\":\"".utf8)
    static let jsonGoodFractionKey = Array(",\"good_fraction\":".utf8)
    static let influxValueKey = Array("value=".utf8)
    static let influxTextKey = Array("value_text=\"".utf8)
    static let influxStatusKey = Array("status=".utf8)
    static let null = Array("null".utf8)
    static let trueText = Array("true".utf8)
    static let falseText = Array("false".utf8)

    /// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
    static func csvField(_ s: String) -> [UInt8] {
        let utf8 = Array(s.utf8)
        guard utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else { return utf8 }
        var out: [UInt8] = [34]
        for b in utf8 {
            if b == 34 { out.append(34) }
            out.append(b)
        }
        out.append(34)
        return out
    }

    /// A JSON string literal.
    static func jsonString(_ s: String) -> [UInt8] {
        var out: [UInt8] = [34]
        for b in s.utf8 {
            switch b {
            case 34: out += [92, 34]
            case 92: out += [92, 92]
            case 10: out += [92, 110]
            case 13: out += [92, 114]
            case 9: out += [92, 116]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [92, 117, 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        out.append(34)
        return out
    }

    /// Line protocol escaping: measurement names escape commas and spaces; tag keys and values
    /// also escape `=`.
    static func influxEscape(_ s: String, equals: Bool) -> [UInt8] {
        var out: [UInt8] = []
        for b in s.utf8 {
            if b == 44 || b == 32 || (equals && b == 61) || b == 92 { out.append(92) }
            if b == 10 { out += [92, 110]; continue }
            out.append(b)
        }
        return out
    }

    /// A line protocol string field value (without its quotes): `"` and `\` escaped.
    static func appendEscaped(_ s: String, to out: OutputBuffer, quoteAndBackslash: Bool) {
        var bytes: [UInt8] = []
        for b in s.utf8 {
            if b == 34 || b == 92 { bytes.append(92) }
            bytes.append(b)
        }
        out.bytes(bytes)
    }
}
