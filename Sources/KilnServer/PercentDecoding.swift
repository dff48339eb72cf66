/// Percent-decoding of one path segment or query value, strictly: `%` must be followed by two
/// hex digits and the result must be UTF-8; nil otherwise (the caller answers 400). `+` stays a
/// plus sign (it means a space only in forms).
enum PercentDecoding {
    static func decode(_ text: Substring) -> String? {
        guard text.utf8.contains(0x25) else { return String(text) }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let b = iterator.next() {
            guard b == 0x25 else {
                out.append(b)
                continue
            }
            guard let high = iterator.next().flatMap(hex), let low = iterator.next().flatMap(hex) else { return nil }
            out.append(high << 4 | low)
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }
}
