extension ColumnCoder {
    /// The domains worth trying: grids that fit a sample (the caller's first), float32 when the
    /// sample is float32, and any double.
    static func domains(_ values: [UInt64], grid: BlockCodec.Grid?) -> [ValueDomain] {
        let sample = values.lazy.filter { Double(bitPattern: $0).isFinite }.prefix(sampleSize)
        var domains: [ValueDomain] = []
        if let grid {
            let domain = ValueDomain(grid)
            if sample.allSatisfy({ domain.integer($0) != nil }) { domains.append(domain) }
        }
        if !sample.isEmpty,
            let scale = ValueDomain.scales.first(where: { scale in
                sample.allSatisfy { ValueDomain.grid(scale: scale, offset: 0).integer($0) != nil }
            })
        {
            domains.append(.grid(scale: scale, offset: 0))
        }
        if sample.allSatisfy({ ValueDomain.float32.integer($0) != nil }) { domains.append(.float32) }
        domains.append(.ordered)
        return domains
    }

    /// The column's integers, nil for exceptions; nil when more than one entry in 16 is one.
    static func integers(_ values: [UInt64], _ domain: ValueDomain) -> [Int64?]? {
        var integers: [Int64?] = []
        integers.reserveCapacity(values.count)
        var exceptions = 0
        for bits in values {
            let k = domain.integer(bits)
            if k == nil {
                exceptions += 1
                if exceptions > values.count / 16 + 1 { return nil }
            }
            integers.append(k)
        }
        return integers
    }

    static func residuals(_ integers: [Int64?], _ domain: ValueDomain, hints: [Double?]?) -> [UInt64] {
        var residuals: [UInt64] = []
        residuals.reserveCapacity(integers.count)
        var predictor = ValuePredictor()
        for (i, k) in integers.enumerated() {
            guard let k else { continue }
            let prediction = hints?[i].flatMap(domain.nearest) ?? predictor.predict()
            residuals.append(domain.residual(k, prediction))
            predictor.update(k)
        }
        return residuals
    }

    static func xorBits(_ values: [UInt64], hints: [Double?]?) -> Int {
        var coder = XORCoder()
        var previous: UInt64 = 0
        var bits = 0
        for (i, value) in values.enumerated() {
            bits += coder.cost(value ^ (hints?[i]?.bitPattern ?? previous))
            previous = value
        }
        return bits
    }

    /// Each run's length minus one.
    static func runLengths(_ values: [UInt64]) -> [UInt64] {
        var lengths: [UInt64] = []
        var start = 0
        for i in 1...values.count where i == values.count || values[i] != values[start] {
            lengths.append(UInt64(i - start - 1))
            start = i
        }
        return lengths
    }

    static func runsBits(_ values: [UInt64], _ lengths: [UInt64], k: Int) -> Int {
        var coder = XORCoder()
        var previous: UInt64 = 0
        var start = 0
        var bits = AdaptiveRice.bits(lengths, k: k)
        for length in lengths {
            bits += coder.cost(values[start] ^ previous)
            previous = values[start]
            start += Int(length) + 1
        }
        return bits
    }

    static func headerBits(_ domain: ValueDomain) -> Int {
        guard case .grid(let scale, let offset) = domain else { return 0 }
        return offset.bitPattern == 0 && ValueDomain.scales.contains { $0.bitPattern == scale.bitPattern } ? 6 : 129
    }

    static func mode(of domain: ValueDomain) -> Mode {
        switch domain {
        case .grid: .grid
        case .float32: .float32
        case .ordered: .ordered
        }
    }

}
