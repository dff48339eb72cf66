import Testing

@testable import KilnSeries

/// The switching predictor follows whichever of its predictors has been right lately.
struct ValuePredictorTests {
    /// Sum of |residual| over a sequence, for the switching predictor and for the previous value.
    func errors(_ xs: [Int64]) -> (switching: UInt64, previous: UInt64) {
        var predictor = ValuePredictor()
        var switching: UInt64 = 0
        var previous: UInt64 = 0
        for (i, x) in xs.enumerated() {
            if i > 0 {
                switching += (x - predictor.predict()).magnitude
                previous += (x - xs[i - 1]).magnitude
            }
            predictor.update(x)
        }
        return (switching, previous)
    }

    @Test func aNoisyPlateauIsPredictedByItsMean() {
        var random = SeededGenerator(seed: 31)
        let xs = (0..<5000).map { _ in 1_000_000 + Int64((random.gaussian() * 1000).rounded()) }
        let e = errors(xs)
        // σ√(1 + 1/15) against σ√2: about 27% less.
        #expect(Double(e.switching) < 0.8 * Double(e.previous))
    }

    @Test func aRampIsPredictedByExtrapolation() {
        let xs = (0..<1000).map { Int64($0) * 377 + 5 }
        let e = errors(xs)
        #expect(e.previous == 999 * 377)
        #expect(e.switching < 377 * 10)
    }

    @Test func anyIntegersAreHandledWithoutTrapping() {
        var predictor = ValuePredictor()
        for x: Int64 in [.max, .min, 0, .max, -1, .min, 1 << 62, -(1 << 62)] {
            _ = predictor.predict()
            predictor.update(x)
        }
    }
}
