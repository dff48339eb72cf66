/// Turns registers into values and back, in Swift and independent of the host's byte order
/// (libmodbus's own float helpers are not).
public enum Decoding {
    /// The value's bytes in big-endian (A B C D …) order, taken from registers in `order`.
    ///
    /// - Parameters:
    ///   - words: exactly 2 or 4 registers as they arrived.
    ///   - order: how the bytes were laid out in the registers.
    @inlinable
    public static func canonicalBytes(_ words: some Collection<UInt16>, order: ByteOrder) -> UInt64 {
        var result: UInt64 = 0
        if order.swapsWords {
            var shift: UInt64 = 0
            for word in words {
                let w = order.swapsBytes ? word.byteSwapped : word
                result |= UInt64(w) << shift
                shift += 16
            }
        } else {
            for word in words {
                let w = order.swapsBytes ? word.byteSwapped : word
                result = (result << 16) | UInt64(w)
            }
        }
        return result
    }

    /// The registers that carry `bits` (2 or 4 words' worth, big-endian) in `order`.
    public static func words(_ bits: UInt64, wordCount: Int, order: ByteOrder) -> [UInt16] {
        var words = (0..<wordCount).map { i in
            UInt16(truncatingIfNeeded: bits >> UInt64(16 * (wordCount - 1 - i)))
        }
        if order.swapsBytes { words = words.map(\.byteSwapped) }
        if order.swapsWords { words.reverse() }
        return words
    }

    /// The raw (unscaled) value of a tag from its registers.
    ///
    /// - Parameters:
    ///   - words: the tag's registers, `tag.count` of them.
    ///   - tag: the tag, for its type, byte order, bit and length.
    public static func raw(words: some Collection<UInt16>, tag: TagConfig) -> Value {
        raw(words: words, type: tag.type, byteOrder: tag.byteOrder, bit: tag.bit ?? 0)
    }

    /// The raw (unscaled) value of registers read as `type`.
    ///
    /// - Parameters:
    ///   - words: the value's registers (1, 2 or 4; a string's length).
    ///   - type: the tag's data type.
    ///   - byteOrder: the order of multi-register values.
    ///   - bit: for bool, the bit of the register, 0 = least significant.
    @inlinable
    public static func raw(words: some Collection<UInt16>, type: DataType, byteOrder: ByteOrder, bit: Int) -> Value {
        switch type {
        case .bool:
            let word = words.first ?? 0
            return .bool((word >> UInt16(truncatingIfNeeded: bit)) & 1 == 1)
        case .int16: return .int(Int64(Int16(bitPattern: words.first ?? 0)))
        case .uint16: return .uint(UInt64(words.first ?? 0))
        case .int32:
            return .int(Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: canonicalBytes(words, order: byteOrder)))))
        case .uint32: return .uint(canonicalBytes(words, order: byteOrder))
        case .float32:
            let bits = UInt32(truncatingIfNeeded: canonicalBytes(words, order: byteOrder))
            return .double(Double(Float(bitPattern: bits)))
        case .int64: return .int(Int64(bitPattern: canonicalBytes(words, order: byteOrder)))
        case .uint64: return .uint(canonicalBytes(words, order: byteOrder))
        case .float64: return .double(Double(bitPattern: canonicalBytes(words, order: byteOrder)))
        case .string: return .string(ascii(words))
        }
    }

    /// Two ASCII bytes per register, high byte first; stops at the first NUL, trims trailing spaces.
    public static func ascii(_ words: some Collection<UInt16>) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(words.count * 2)
        for w in words {
            bytes.append(UInt8(w >> 8))
            bytes.append(UInt8(w & 0xFF))
        }
        if let nul = bytes.firstIndex(of: 0) { bytes.removeSubrange(nul...) }
        while bytes.last == 0x20 { bytes.removeLast() }
        return String(decoding: bytes.map { $0 < 0x80 ? $0 : 0x3F }, as: UTF8.self)
    }

    /// Applies `value = raw * scale + offset`; integers stay exact when scale is 1 and offset 0.
    public static func engineering(_ raw: Value, tag: TagConfig) -> Value {
        engineering(raw, scale: tag.scale, offset: tag.offset)
    }

    /// Applies `value = raw * scale + offset`; integers stay exact when scale is 1 and offset 0.
    @inlinable
    public static func engineering(_ raw: Value, scale: Double, offset: Double) -> Value {
        if scale == 1, offset == 0 { return raw }
        switch raw {
        case .int(let i): return .double(Double(i) * scale + offset)
        case .uint(let u): return .double(Double(u) * scale + offset)
        case .double(let d): return .double(d * scale + offset)
        case .bool, .string: return raw
        }
    }

    /// The decoded engineering value of a register-backed tag.
    public static func decode(words: some Collection<UInt16>, tag: TagConfig) -> Value {
        engineering(raw(words: words, tag: tag), tag: tag)
    }

    /// The registers that make a tag read as `value` (the inverse of `decode`), for the simulator.
    ///
    /// Values outside the type's range saturate. `current` is the register that a bool inside a
    /// register is written into.
    public static func encode(_ value: Value, tag: TagConfig, current: UInt16 = 0) -> [UInt16] {
        let count = tag.type.registerCount(length: tag.length)
        switch tag.type {
        case .bool:
            let bit = UInt16(1) << UInt16(tag.bit ?? 0)
            let on = value.number.map { $0 != 0 } ?? false
            return [on ? current | bit : current & ~bit]
        case .string:
            let text: String
            if case .string(let s) = value { text = s } else { text = value.description }
            var bytes = Array(text.utf8.prefix(count * 2))
            bytes += Array(repeating: 0, count: count * 2 - bytes.count)
            return (0..<count).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        default:
            break
        }
        let raw = rawNumber(value, tag: tag)
        switch tag.type {
        case .int16: return [UInt16(bitPattern: Int16(saturating: raw))]
        case .uint16: return [UInt16(saturating: raw)]
        case .int32:
            return words(UInt64(UInt32(bitPattern: Int32(saturating: raw))), wordCount: 2, order: tag.byteOrder)
        case .uint32: return words(UInt64(UInt32(saturating: raw)), wordCount: 2, order: tag.byteOrder)
        case .float32: return words(UInt64(Float(raw).bitPattern), wordCount: 2, order: tag.byteOrder)
        case .int64:
            if case .int(let i) = value, tag.scale == 1, tag.offset == 0 {
                return words(UInt64(bitPattern: i), wordCount: 4, order: tag.byteOrder)
            }
            return words(UInt64(bitPattern: Int64(saturating: raw)), wordCount: 4, order: tag.byteOrder)
        case .uint64:
            if case .uint(let u) = value, tag.scale == 1, tag.offset == 0 {
                return words(u, wordCount: 4, order: tag.byteOrder)
            }
            return words(UInt64(saturating: raw), wordCount: 4, order: tag.byteOrder)
        case .float64: return words(raw.bitPattern, wordCount: 4, order: tag.byteOrder)
        case .bool, .string: return []
        }
    }

    private static func rawNumber(_ value: Value, tag: TagConfig) -> Double {
        let engineering = value.number ?? 0
        return tag.scale == 0 ? 0 : (engineering - tag.offset) / tag.scale
    }
}

/// Everything decoding one tag needs, copied out of its `TagConfig` once: a poller decodes
/// every tag of every reply, and a `TagConfig` is about a hundred bytes to copy each time where
/// this is 24. A gateway keeps one per tag (20,000 at 1,000 devices x 20 tags), so the address,
/// count and bit are stored in the widths Modbus gives them (addresses and counts are 16-bit, a
/// bit is 0–15); values beyond those, which no valid map has, are clamped.
public struct TagDecoder: Sendable, Hashable {
    public var scale: Double
    public var offset: Double
    @usableFromInline var storedAddress: UInt16
    @usableFromInline var storedCount: UInt16
    public var type: DataType
    public var byteOrder: ByteOrder
    @usableFromInline var storedBit: UInt8

    /// The tag's first register (or bit): in a block read from address `start`, its words
    /// begin at `address - start`.
    @inlinable public var address: Int { Int(storedAddress) }
    /// Registers (or bits) the tag occupies.
    @inlinable public var count: Int { Int(storedCount) }
    @inlinable public var bit: Int { Int(storedBit) }

    public init(_ tag: TagConfig) {
        storedAddress = UInt16(clamping: tag.address)
        storedCount = UInt16(clamping: tag.count)
        type = tag.type
        byteOrder = tag.byteOrder
        storedBit = UInt8(clamping: tag.bit ?? 0)
        scale = tag.scale
        offset = tag.offset
    }

    /// The raw (unscaled) value from the tag's registers: `words` starts at its first register.
    @inlinable
    public func raw(_ words: UnsafeBufferPointer<UInt16>) -> Value {
        Decoding.raw(words: words.prefix(count), type: type, byteOrder: byteOrder, bit: bit)
    }

    /// `raw * scale + offset`, integers exact when there is nothing to apply.
    @inlinable
    public func engineering(_ raw: Value) -> Value {
        Decoding.engineering(raw, scale: scale, offset: offset)
    }
}

extension FixedWidthInteger {
    /// Rounds `value` to the nearest integer, clamped to the type's range (NaN becomes 0).
    init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value <= Double(Self.min) {
            self = .min
        } else if value >= Double(Self.max) {
            self = .max
        } else {
            self = Self(value.rounded())
        }
    }
}

extension Decoding {
    /// Printable ASCII of registers (high byte first), other bytes shown as `.`.
    public static func asciiPreview(_ words: some Collection<UInt16>) -> String {
        var out = ""
        for w in words {
            for byte in [UInt8(w >> 8), UInt8(w & 0xFF)] {
                out.append((0x20..<0x7F).contains(byte) ? Character(Unicode.Scalar(byte)) : ".")
            }
        }
        return out
    }
}
