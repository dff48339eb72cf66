/// Codes one column of doubles (the values, or the raw readings that differ from them).
///
/// The encoder tries every domain that fits the column — a scaled-integer grid, float32, any
/// double — and the Gorilla XOR code, each predicting from the previous entry or, for raw
/// readings, from the point's conditioned value, and runs of equal values (bools, counters,
/// set points), and keeps the cheapest. Layout:
///
///     mode (3 bits: 0 grid, 1 float32, 2 ordered double, 3 XOR, 4 runs)
///     grid only: 1 bit explicit; then scale and offset (64 + 64 bits), or a 5-bit table index
///     1 bit: predict from the conditioned value where the point has one
///     grid and float32: exception count (var bits); per exception its index gap (var bits) and
///       its 64 bits
///     grid, float32 and ordered: initial Rice parameter (6 bits), then one adaptive Rice
///       residual per entry that is not an exception
///     XOR: one XOR code per entry
///     runs: initial Rice parameter (6 bits); per run, its value as an XOR code against the
///       previous run's and its length minus one as an adaptive Rice residual
enum ColumnCoder {
    enum Mode: UInt64 {
        case grid = 0
        case float32 = 1
        case ordered = 2
        case xor = 3
        case runs = 4
    }

    /// The entries sampled to decide whether a grid or float32 fits before coding all of them.
    private static let sampleSize = 8

    private struct Plan {
        var mode: Mode
        var domain: ValueDomain?
        var fromHint: Bool
        var integers: [Int64?]
        var residuals: [UInt64]
        var k: Int
        var bits: Int
    }

    /// Writes a column.
    /// - Parameters:
    ///   - values: the entries' bit patterns.
    ///   - hints: for each entry, the conditioned value of its point when it has one (raw column
    ///     only).
    ///   - grid: the tag's scale and offset, when the caller knows them.
    ///   - forcing: tests only: consider only this mode (and prediction), when it can code the
    ///     column.
    static func encode(
        _ values: [UInt64], hints: [Double?]?, grid: BlockCodec.Grid?, to writer: inout BitWriter,
        forcing: (mode: Mode, fromHint: Bool)? = nil
    ) {
        var best: Plan?
        func consider(_ plan: Plan) {
            if let forcing, forcing.mode != plan.mode || forcing.fromHint != plan.fromHint { return }
            if plan.bits < best?.bits ?? .max { best = plan }
        }
        var exact = false
        for domain in domains(values, grid: grid) {
            // A grid or float32 that holds every value beats any double's bit pattern.
            if domain == .ordered, exact, forcing == nil { continue }
            guard let integers = integers(values, domain) else { continue }
            let exceptionBits = integers.reduce(0) { $0 + ($1 == nil ? 64 + 12 : 0) }
            exact = exact || exceptionBits == 0
            for fromHint in hints == nil ? [false] : [false, true] {
                let residuals = residuals(integers, domain, hints: fromHint ? hints : nil)
                let k = AdaptiveRice.initialK(residuals.prefix(32))
                let bits = exceptionBits + AdaptiveRice.bits(residuals, k: k) + headerBits(domain)
                consider(
                    Plan(
                        mode: mode(of: domain), domain: domain, fromHint: fromHint, integers: integers,
                        residuals: residuals, k: k, bits: bits))
            }
        }
        for fromHint in hints == nil ? [false] : [false, true] {
            let bits = xorBits(values, hints: fromHint ? hints : nil)
            consider(Plan(mode: .xor, domain: nil, fromHint: fromHint, integers: [], residuals: [], k: 0, bits: bits))
        }
        let runs = runLengths(values)
        let runK = AdaptiveRice.initialK(runs.prefix(32))
        let bits = runsBits(values, runs, k: runK)
        consider(Plan(mode: .runs, domain: nil, fromHint: false, integers: [], residuals: runs, k: runK, bits: bits))
        guard let best else { return encode(values, hints: hints, grid: grid, to: &writer) }
        write(best, values, hints: hints, to: &writer)
    }

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
        var values = [UInt64]()
        values.reserveCapacity(count)
        if mode == .runs {
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
        if mode == .xor {
            var coder = XORCoder()
            var previous: UInt64 = 0
            for i in 0..<count {
                let reference = fromHint ? hints![i]?.bitPattern ?? previous : previous
                previous = try coder.read(from: &reader) ^ reference
                values.append(previous)
            }
            return values
        }
        var exceptions: [(index: Int, bits: UInt64)] = []
        if mode == .grid || mode == .float32 {
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
        var rice = AdaptiveRice(k: Int(try reader.read(6)))
        var previous: Int64 = 0
        var next = 0
        for i in 0..<count {
            if next < exceptions.count, exceptions[next].index == i {
                values.append(exceptions[next].bits)
                next += 1
                continue
            }
            let prediction = fromHint ? hints![i].flatMap(domain.nearest) ?? previous : previous
            previous = domain.integer(residual: try reader.readRice(&rice), prediction)
            values.append(domain.bits(previous))
        }
        return values
    }

    // MARK: - Choosing

    /// The domains worth trying: grids that fit a sample (the caller's first), float32 when the
    /// sample is float32, and any double.
    private static func domains(_ values: [UInt64], grid: BlockCodec.Grid?) -> [ValueDomain] {
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
    private static func integers(_ values: [UInt64], _ domain: ValueDomain) -> [Int64?]? {
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

    private static func residuals(_ integers: [Int64?], _ domain: ValueDomain, hints: [Double?]?) -> [UInt64] {
        var residuals: [UInt64] = []
        residuals.reserveCapacity(integers.count)
        var previous: Int64 = 0
        for (i, k) in integers.enumerated() {
            guard let k else { continue }
            let prediction = hints?[i].flatMap(domain.nearest) ?? previous
            residuals.append(domain.residual(k, prediction))
            previous = k
        }
        return residuals
    }

    private static func xorBits(_ values: [UInt64], hints: [Double?]?) -> Int {
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
    private static func runLengths(_ values: [UInt64]) -> [UInt64] {
        var lengths: [UInt64] = []
        var start = 0
        for i in 1...values.count where i == values.count || values[i] != values[start] {
            lengths.append(UInt64(i - start - 1))
            start = i
        }
        return lengths
    }

    private static func runsBits(_ values: [UInt64], _ lengths: [UInt64], k: Int) -> Int {
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

    private static func headerBits(_ domain: ValueDomain) -> Int {
        guard case .grid(let scale, let offset) = domain else { return 0 }
        return offset.bitPattern == 0 && ValueDomain.scales.contains { $0.bitPattern == scale.bitPattern } ? 6 : 129
    }

    private static func mode(of domain: ValueDomain) -> Mode {
        switch domain {
        case .grid: .grid
        case .float32: .float32
        case .ordered: .ordered
        }
    }

    // MARK: - Writing

    private static func write(_ plan: Plan, _ values: [UInt64], hints: [Double?]?, to writer: inout BitWriter) {
        writer.write(plan.mode.rawValue, 3)
        if case .grid(let scale, let offset) = plan.domain {
            if offset.bitPattern == 0,
                let index = ValueDomain.scales.firstIndex(where: { $0.bitPattern == scale.bitPattern })
            {
                writer.write(false)
                writer.write(UInt64(index), 5)
            } else {
                writer.write(true)
                writer.write(scale.bitPattern, 64)
                writer.write(offset.bitPattern, 64)
            }
        }
        writer.write(plan.fromHint)
        if plan.mode == .runs {
            writer.write(UInt64(plan.k), 6)
            var rice = AdaptiveRice(k: plan.k)
            var coder = XORCoder()
            var previous: UInt64 = 0
            var start = 0
            for length in plan.residuals {
                coder.write(values[start] ^ previous, to: &writer)
                writer.writeRice(length, &rice)
                previous = values[start]
                start += Int(length) + 1
            }
            return
        }
        if plan.mode == .xor {
            var coder = XORCoder()
            var previous: UInt64 = 0
            for (i, value) in values.enumerated() {
                let reference = plan.fromHint ? hints![i]?.bitPattern ?? previous : previous
                coder.write(value ^ reference, to: &writer)
                previous = value
            }
            return
        }
        if plan.mode == .grid || plan.mode == .float32 {
            let exceptions = plan.integers.indices.filter { plan.integers[$0] == nil }
            writer.writeVarBits(UInt64(exceptions.count))
            var last = -1
            for index in exceptions {
                writer.writeVarBits(UInt64(index - last - 1))
                writer.write(values[index], 64)
                last = index
            }
        }
        writer.write(UInt64(plan.k), 6)
        var rice = AdaptiveRice(k: plan.k)
        for z in plan.residuals { writer.writeRice(z, &rice) }
    }
}

extension ValueDomain {
    init(_ grid: BlockCodec.Grid) { self = .grid(scale: grid.scale, offset: grid.offset) }
}
