extension BlockCodec {
    /// Writes the time column: the first time (64 bits); then, with two or more points, the
    /// predictor (2 bits), the nominal period (var bits, zigzag), the initial Rice parameter
    /// (6 bits) and one adaptive Rice residual per further point.
    static func encodeTimes(_ times: [Int64], to writer: inout BitWriter) {
        writer.write(UInt64(bitPattern: times[0]), 64)
        guard times.count > 1 else { return }
        let nominal = TimePredictor.nominalPeriod(times)
        var best: (kind: TimePredictor.Kind, residuals: [UInt64], k: Int, bits: Int)?
        for kind in TimePredictor.Kind.allCases {
            let residuals = residuals(times, kind, nominal)
            let k = AdaptiveRice.initialK(residuals.prefix(32))
            let bits = AdaptiveRice.bits(residuals, k: k)
            if bits < best?.bits ?? .max { best = (kind, residuals, k, bits) }
        }
        let (kind, residuals, k, _) = best!
        writer.write(kind.rawValue, 2)
        writer.writeVarBits(zigzag(nominal))
        writer.write(UInt64(k), 6)
        var rice = AdaptiveRice(k: k)
        for z in residuals { writer.writeRice(z, &rice) }
    }

    /// Reads the time column of `count` (≥ 1) points.
    static func decodeTimes(count: Int, from reader: inout BitReader) throws(BlockCodecError) -> [Int64] {
        var times: [Int64] = []
        times.reserveCapacity(count)
        times.append(Int64(bitPattern: try reader.read(64)))
        guard count > 1 else { return times }
        let start = reader.position
        guard let kind = TimePredictor.Kind(rawValue: try reader.read(2)) else {
            throw BlockCodecError(.corrupt, bit: start, "an unknown time predictor")
        }
        let nominal = unzigzag(try reader.readVarBits())
        var rice = AdaptiveRice(k: Int(try reader.read(6)))
        var predictor = TimePredictor(kind, nominal: nominal, first: times[0])
        for _ in 1..<count {
            let time = predictor.predict() &+ unzigzag(try reader.readRice(&rice))
            predictor.advance(to: time)
            times.append(time)
        }
        return times
    }

    /// The residuals of `times` after the first under a predictor.
    private static func residuals(_ times: [Int64], _ kind: TimePredictor.Kind, _ nominal: Int64) -> [UInt64] {
        var predictor = TimePredictor(kind, nominal: nominal, first: times[0])
        var residuals: [UInt64] = []
        residuals.reserveCapacity(times.count - 1)
        for time in times.dropFirst() {
            residuals.append(zigzag(time &- predictor.predict()))
            predictor.advance(to: time)
        }
        return residuals
    }
}
