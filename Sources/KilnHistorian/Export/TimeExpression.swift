/// Times as `kiln export --from/--to` take them: RFC 3339 (`2026-11-25T07:00:00Z`,
/// `2026-11-25T08:00:00.5+01:00`), a date (`2026-11-25`, midnight UTC), `now`, or relative to
/// now (`-1h`, `-7d`, `-30m`, `-90s`, `-500ms`, `-2w`).
public enum TimeExpression {
    /// Microseconds since the Unix epoch, UTC; nil when `text` is none of the above.
    public static func parse(_ text: String, now: Int64) -> Int64? {
        let t = text.trimmingCharacters()
        if t == "now" { return now }
        if let first = t.first, first == "-" || first == "+" {
            guard let span = relative(t.dropFirst()) else { return nil }
            return first == "-" ? now - span : now + span
        }
        return rfc3339(t)
    }

    /// `1h`, `7d`, … in microseconds.
    static func relative(_ text: Substring) -> Int64? {
        let digits = text.prefix { $0.isNumber || $0 == "." }
        guard !digits.isEmpty, let number = Double(digits), number.isFinite, number >= 0 else { return nil }
        let unit: Double
        switch text.dropFirst(digits.count) {
        case "us": unit = 1
        case "ms": unit = 1e3
        case "s": unit = 1e6
        case "m": unit = 60e6
        case "h": unit = 3600e6
        case "d": unit = 86_400e6
        case "w": unit = 604_800e6
        default: return nil
        }
        let micros = number * unit
        guard micros < 9e18 else { return nil }
        return Int64(micros.rounded())
    }

    /// RFC 3339 date-time (or a bare date) in microseconds since the epoch.
    static func rfc3339(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ width: Int) -> Int? {
            guard i + width <= b.count else { return nil }
            var n = 0
            for k in 0..<width {
                let c = b[i + k]
                guard c >= 48, c <= 57 else { return nil }
                n = n * 10 + Int(c - 48)
            }
            i += width
            return n
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
            (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        if i == b.count { return Int64(days) * 86_400_000_000 }
        guard i < b.count, b[i] == 84 || b[i] == 116 || b[i] == 32 else { return nil }  // T, t or space
        i += 1
        guard let hour = number(2), expect(58), let minute = number(2), expect(58), let second = number(2),
            hour < 24, minute < 60, second <= 60
        else { return nil }
        var micros = 0
        if i < b.count, b[i] == 46 {  // .
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 6 { micros = micros * 10 + Int(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == 90 || b[i] == 122 {  // Z
            i += 1
        } else if b[i] == 43 || b[i] == 45 {  // + -
            let sign = b[i] == 45 ? -1 : 1
            i += 1
            guard let oh = number(2), expect(58), let om = number(2), oh < 24, om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset)
        return seconds * 1_000_000 + Int64(micros)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// (year, month, day) of a day count since 1970-01-01.
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
