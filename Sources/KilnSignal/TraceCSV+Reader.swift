extension TraceCSV {
    /// Reads a trace a chunk of bytes at a time and hands over each row as its line ends, so a
    /// trace of any length replays in the memory of one line (at most ``maxLineBytes``).
    ///
    /// A line ends at LF, CR LF or CR (also across chunks); blank lines and lines starting with
    /// `#` are skipped; a UTF-8 byte order mark before the header is skipped.
    public struct Reader: Sendable {
        /// The longest line accepted, in bytes: far beyond any real trace row, and small enough
        /// that a file with no line breaks (`/dev/zero`, a binary) fails at once.
        public static let maxLineBytes = 65_536

        /// The unfinished line carried over from the last chunk.
        private var pending: [UInt8] = []
        /// The last chunk ended with CR: an LF starting the next one ends no line.
        private var afterCR = false
        private var lineNumber = 0
        private var columns: (time: Int, value: Int)?
        private var previous: (time: Int64, line: Int, text: String)?

        public init() {}

        /// Reads `bytes`, calling `row` for each row completed in them.
        public mutating func read(_ bytes: UnsafeBufferPointer<UInt8>, _ row: (Row) -> Void) throws(ParseError) {
            var start = 0
            if afterCR, !bytes.isEmpty {
                afterCR = false
                if bytes[0] == 10 { start = 1 }
            }
            var i = start
            while i < bytes.count {
                let byte = bytes[i]
                guard byte == 10 || byte == 13 else {
                    i += 1
                    continue
                }
                if pending.isEmpty {
                    try line(UnsafeBufferPointer(rebasing: bytes[start..<i]), row)
                } else {
                    try carry(UnsafeBufferPointer(rebasing: bytes[start..<i]))
                    let carried = pending
                    pending.removeAll(keepingCapacity: true)
                    try carried.withUnsafeBufferPointer { (b) throws(ParseError) in try line(b, row) }
                }
                i += 1
                if byte == 13 {
                    if i < bytes.count {
                        if bytes[i] == 10 { i += 1 }
                    } else {
                        afterCR = true
                    }
                }
                start = i
            }
            try carry(UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
        }

        /// Ends the trace: reads a last line without a line ending, and fails if there was no
        /// header at all.
        public mutating func finish(_ row: (Row) -> Void) throws(ParseError) {
            if !pending.isEmpty {
                let carried = pending
                pending.removeAll()
                try carried.withUnsafeBufferPointer { (b) throws(ParseError) in try line(b, row) }
            } else if lineNumber == 0 {
                lineNumber = 1
            }
            guard columns != nil else {
                throw ParseError(line: max(lineNumber, 1), message: "empty trace: no header")
            }
        }

        /// Keeps the start of a line that goes on in the next chunk.
        private mutating func carry(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) {
            guard !bytes.isEmpty else { return }
            guard pending.count + bytes.count <= Self.maxLineBytes else { throw tooLong() }
            pending.append(contentsOf: bytes)
        }

        private func tooLong() -> ParseError {
            ParseError(
                line: lineNumber + 1,
                message: "line is longer than \(Self.maxLineBytes) bytes: not a trace of ts,value rows")
        }

        // MARK: - Lines

        private mutating func line(_ bytes: UnsafeBufferPointer<UInt8>, _ row: (Row) -> Void) throws(ParseError) {
            guard bytes.count <= Self.maxLineBytes else { throw tooLong() }
            lineNumber += 1
            var bytes = bytes
            if lineNumber == 1 {
                if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = UnsafeBufferPointer(rebasing: bytes[3...]) }
                if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
                    throw ParseError(
                        line: 1, message: "the trace is UTF-16 (it starts with its byte order mark); save it as UTF-8")
                }
            }
            let trimmed = Field.trim(0..<bytes.count, bytes)
            if trimmed.isEmpty || bytes[trimmed.lowerBound] == UInt8(ascii: "#") { return }
            guard let columns else {
                try header(bytes, trimmed)
                return
            }
            // The two fields this trace's header named.
            var fieldCount = 0
            var timeField = 0..<0
            var valueField = 0..<0
            var fieldStart = 0
            for i in 0...bytes.count where i == bytes.count || bytes[i] == UInt8(ascii: ",") {
                if fieldCount == columns.time || fieldCount == columns.value {
                    let field = Field.unquote(Field.trim(fieldStart..<i, bytes), bytes)
                    if fieldCount == columns.time { timeField = field } else { valueField = field }
                }
                fieldCount += 1
                fieldStart = i + 1
            }
            let needed = max(columns.time, columns.value) + 1
            guard fieldCount >= needed else {
                throw ParseError(line: lineNumber, message: "expected \(needed) columns, found \(fieldCount)")
            }
            row(
                try parseRow(
                    time: UnsafeBufferPointer(rebasing: bytes[timeField]),
                    value: UnsafeBufferPointer(rebasing: bytes[valueField])))
        }

        private mutating func header(_ bytes: UnsafeBufferPointer<UInt8>, _ trimmed: Range<Int>) throws(ParseError) {
            var names: [String] = []
            var fieldStart = 0
            for i in 0...bytes.count where i == bytes.count || bytes[i] == UInt8(ascii: ",") {
                names.append(Field.text(Field.unquote(Field.trim(fieldStart..<i, bytes), bytes), bytes).lowercased())
                fieldStart = i + 1
            }
            guard let time = names.firstIndex(of: "ts"), let value = names.firstIndex(of: "value") else {
                throw ParseError(
                    line: lineNumber,
                    message:
                        "expected a header naming the columns 'ts' and 'value', found '\(Field.shown(trimmed, bytes))'")
            }
            columns = (time, value)
        }

        private mutating func parseRow(
            time timeBytes: UnsafeBufferPointer<UInt8>, value valueBytes: UnsafeBufferPointer<UInt8>
        ) throws(ParseError) -> Row {
            var timeText: String { Field.shown(0..<timeBytes.count, timeBytes) }
            let time: Int64
            switch TraceCSV.time(timeBytes) {
            case .time(let micros): time = micros
            case .outOfRange:
                throw ParseError(
                    line: lineNumber,
                    message: "timestamp '\(timeText)' is out of range: a trace's times lie in the years 1970 to 9999")
            case .invalid:
                throw ParseError(
                    line: lineNumber,
                    message: timeBytes.isEmpty
                        ? "the timestamp is empty"
                        : "'\(timeText)' is not a timestamp (RFC 3339, or Unix seconds with a fraction)")
            }
            if let previous {
                guard time != previous.time else {
                    throw ParseError(
                        line: lineNumber,
                        message:
                            "timestamp '\(timeText)' repeats line \(previous.line)'s; every row needs a later time than the one before"
                    )
                }
                guard time > previous.time else {
                    throw ParseError(
                        line: lineNumber,
                        message:
                            "timestamp '\(timeText)' is earlier than line \(previous.line)'s '\(previous.text.prefix(60))'; timestamps must increase"
                    )
                }
            }
            // A valid timestamp is printable ASCII: the row keeps it whole, as written.
            let written = Field.text(0..<timeBytes.count, timeBytes)
            previous = (time, lineNumber, written)
            guard !valueBytes.isEmpty else {
                return Row(line: lineNumber, time: time, timeText: written, valueText: nil, value: nil)
            }
            let valueText = Field.text(0..<valueBytes.count, valueBytes)
            switch Field.number(valueBytes, text: valueText) {
            case .number(let value):
                return Row(line: lineNumber, time: time, timeText: written, valueText: valueText, value: value)
            case .outOfRange:
                let valueText = Field.shown(0..<valueBytes.count, valueBytes)
                throw ParseError(
                    line: lineNumber,
                    message: "value '\(valueText)' is beyond the range of a 64-bit float (about ±1.8e308)")
            case .invalid:
                let valueText = Field.shown(0..<valueBytes.count, valueBytes)
                throw ParseError(line: lineNumber, message: "value '\(valueText)' is not a number")
            }
        }
    }
}
