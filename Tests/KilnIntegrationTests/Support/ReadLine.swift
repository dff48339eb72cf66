import Foundation

/// A JSON value as `kiln read --json` prints it, decoded without losing 64-bit integers.
enum JSONValue: Decodable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let u = try? c.decode(UInt64.self) {
            self = .uint(u)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else {
            self = .string(try c.decode(String.self))
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .uint(let u): "\(u)"
        case .double(let d): "\(d)"
        case .string(let s): "\"\(s)\""
        }
    }

    /// The same value, whichever way the decoder typed a number (`60` and `60.0` match).
    func matches(_ expected: JSONValue) -> Bool {
        switch (self, expected) {
        case (.int(let a), .uint(let b)): a >= 0 && UInt64(a) == b
        case (.uint(let a), .int(let b)): b >= 0 && a == UInt64(b)
        case (.int(let a), .double(let b)): Double(a) == b && Int64(exactly: b) == a
        case (.uint(let a), .double(let b)): Double(a) == b && UInt64(exactly: b) == a
        case (.double(let a), .int(let b)): a == Double(b) && Int64(exactly: a) == b
        default: self == expected
        }
    }
}

/// One line of `kiln read --json`.
struct ReadLine: Decodable, Hashable {
    var device: String
    var tag: String
    var value: JSONValue
    var unit: String?
    var quality: String
    var status: String
    var ts: String
    var reason: String?

    /// Decodes every line of `text`; a line that is not a read line is an error.
    static func parse(_ text: String) throws -> [ReadLine] {
        try text.split(separator: "\n").map { try JSONDecoder().decode(ReadLine.self, from: Data($0.utf8)) }
    }

    var key: String { "\(device)/\(tag)" }
}
