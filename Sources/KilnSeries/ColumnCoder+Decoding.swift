extension ColumnCoder {
    /// Reads a column of `count` entries.
    /// - Parameter hints: for each entry, the conditioned value of its point (raw column only).
    static func decode(count: Int, hints: [Double?]?, from reader: inout BitReader) throws(BlockCodecError) -> [UInt64]
    {
        let start = reader.position
        guard let mode = Mode(rawValue: try reader.read(3)) else {
            throw BlockCodecError(.corrupt, bit: start, "an unknown column mode")
        }
        var domain = ValueDomain.ordered
        switch mode {
        case .grid:
            if try reader.readBit() {
                let scale = Double(bitPattern: try reader.read(64))
                let offset = Double(bitPattern: try reader.read(64))
                domain = .grid(scale: scale, offset: offset)
            } else {
                domain = .grid(scale: ValueDomain.scales[Int(try reader.read(5))], offset: 0)
            }
        case .float32: domain = .float32
        case .ordered, .xor, .runs: break
        }
        let fromHint = try reader.readBit()
        guard !fromHint || hints != nil else {
            throw BlockCodecError(.corrupt, bit: start, "the value column predicts from itself")
        }
        let predictors = fromHint ? hints : nil
        switch mode {
        case .runs: return try decodeRuns(count: count, from: &reader)
        case .xor: return try decodeXOR(count: count, hints: predictors, from: &reader)
        case .grid, .float32, .ordered:
            return try decodeIntegers(count: count, domain, hints: predictors, from: &reader)
        }
    }

    private static func decodeRuns(count: Int, from reader: inout BitReader) throws(BlockCodecError) -> [UInt64] {
        var values: [UInt64] = []
        values.reserveCapacity(count)
        var rice = AdaptiveRice(k: Int(try reader.read(6)))
        var coder = XORCoder()
        var value: UInt64 = 0
        while values.count < count {
            value ^= try coder.read(from: &reader)
            let length = try reader.readRice(&rice)
            guard length < UInt64(count - values.count) else {
                throw BlockCodecError(.corrupt, bit: reader.position, "a run past the column's end")
            }
            values.append(contentsOf: repeatElement(value, count: Int(length) + 1))
        }
        return values
    }

    private static func decodeXOR(count: Int, hints: [Double?]?, from reader: inout BitReader) throws(BlockCodecError)
        -> [UInt64]
    {
        var values: [UInt64] = []
        values.reserveCapacity(count)
        var coder = XORCoder()
        var previous: UInt64 = 0
        for i in 0..<count {
            let reference = hints?[i]?.bitPattern ?? previous
            previous = try coder.read(from: &reader) ^ reference
            values.append(previous)
        }
        return values
    }

    private static func decodeIntegers(
        count: Int, _ domain: ValueDomain, hints: [Double?]?, from reader: inout BitReader
    ) throws(BlockCodecError) -> [UInt64] {
        var exceptions: [(index: Int, bits: UInt64)] = []
        if domain != .ordered {
            let start = reader.position
            let total = try reader.readVarBits()
            guard total <= count else {
                throw BlockCodecError(.corrupt, bit: start, "\(total) exceptions in a column of \(count)")
            }
            var index = -1
            for _ in 0..<Int(total) {
                let gap = try reader.readVarBits()
                guard gap < UInt64(count - index - 1) else {
                    throw BlockCodecError(.corrupt, bit: reader.position, "an exception past the column's end")
                }
                index += Int(gap) + 1
                exceptions.append((index, try reader.read(64)))
            }
        }
        var values: [UInt64] = []
        values.reserveCapacity(count)
        var rice = AdaptiveRice(k: Int(try reader.read(6)))
        var predictor = ValuePredictor()
        var next = 0
        for i in 0..<count {
            if next < exceptions.count, exceptions[next].index == i {
                values.append(exceptions[next].bits)
                next += 1
                continue
            }
            let prediction = hints?[i].flatMap(domain.nearest) ?? predictor.predict()
            let k = domain.integer(residual: try reader.readRice(&rice), prediction)
            predictor.update(k)
            values.append(domain.bits(k))
        }
        return values
    }
}
