/// Codes one column of doubles (the values, or the raw readings that differ from them).
///
/// The encoder tries every domain that fits the column — a scaled-integer grid, float32, any
/// double — each predicting from the entries before it (`ValuePredictor`) or, for raw readings,
/// from the point's conditioned value; the Gorilla XOR code against the previous entry or the
/// conditioned value; and runs of equal values (bools, counters, set points). It keeps the
/// cheapest. Layout:
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
    static let sampleSize = 8

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
