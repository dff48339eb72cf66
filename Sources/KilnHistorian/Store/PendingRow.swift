import KilnCore

/// A sample on its way into the file, as SQLite will store it.
///
/// Plain data with no reference counting: the writer copies millions of them a second. Text
/// lives in the batch's side table (`texts`), the cell holding its index.
public struct PendingRow: Sendable, Hashable {
    public var time: Int64
    public var value: Cell
    public var raw: Cell
    public var status: UInt32

    public init(time: Int64, value: Cell, raw: Cell, status: UInt32) {
        self.time = time
        self.value = value
        self.raw = raw
        self.status = status
    }

    /// One column value.
    public struct Cell: Sendable, Hashable {
        public enum Kind: UInt8, Sendable { case null, real, integer, text }
        public var kind: Kind
        /// The double's bits, the integer, or the index into the batch's texts.
        public var bits: UInt64

        public static let null = Cell(kind: .null, bits: 0)

        @inline(__always) public init(kind: Kind, bits: UInt64) {
            self.kind = kind
            self.bits = bits
        }

        @inline(__always) public init(_ d: Double?) {
            if let d { self.init(kind: .real, bits: d.bitPattern) } else { self = .null }
        }

        /// How a `Value` is stored: doubles as REAL, integers and bools as INTEGER (a uint
        /// beyond Int64.max as REAL), strings as TEXT (appended to `texts`).
        @inline(__always) public init(_ v: Value?, texts: inout [String]) {
            switch v {
            case .none: self = .null
            case .double(let d): self.init(kind: .real, bits: d.bitPattern)
            case .int(let i): self.init(kind: .integer, bits: UInt64(bitPattern: i))
            case .uint(let u):
                if u <= UInt64(Int64.max) {
                    self.init(kind: .integer, bits: u)
                } else {
                    self.init(kind: .real, bits: Double(u).bitPattern)
                }
            case .bool(let b): self.init(kind: .integer, bits: b ? 1 : 0)
            case .string(let s):
                self.init(kind: .text, bits: UInt64(texts.count))
                texts.append(s)
            }
        }

        /// The value again (for stores that keep `Value`s).
        public func value(texts: [String]) -> Value? {
            switch kind {
            case .null: nil
            case .real: .double(Double(bitPattern: bits))
            case .integer: .int(Int64(bitPattern: bits))
            case .text: .string(texts[Int(bits)])
            }
        }
    }
}
