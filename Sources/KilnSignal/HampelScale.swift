/// Hampel's robust scale of the filter's last nine innovations (reading minus prediction):
/// 1.4826 × their median absolute value, an estimate of the noise that a few outliers among them
/// cannot move. The outlier gate widens to it when it is more than twice the filter's own
/// uncertainty, so when the process moves in ways the model did not predict (a reading noisier
/// than configured, a sensor slower or faster than its τ) good readings are not rejected.
struct HampelScale: Sendable {
    static let capacity = 9
    private var values = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    private var next = 0
    private(set) var count = 0

    init() {}

    mutating func removeAll() {
        count = 0
        next = 0
    }

    mutating func append(_ innovation: Double) {
        let slot = next
        withUnsafeMutableBytes(of: &values) {
            $0.storeBytes(of: abs(innovation), toByteOffset: slot * 8, as: Double.self)
        }
        next = next == Self.capacity - 1 ? 0 : next + 1
        count = min(count + 1, Self.capacity)
    }

    /// 1.4826 × the median absolute innovation; 0 until five innovations are in.
    var scale: Double {
        guard count >= 5 else { return 0 }
        var sorted = values
        let n = count
        return withUnsafeMutableBytes(of: &sorted) { raw in
            let v = raw.bindMemory(to: Double.self)
            for i in 1..<n {
                let key = v[i]
                var j = i - 1
                while j >= 0, v[j] > key {
                    v[j + 1] = v[j]
                    j -= 1
                }
                v[j + 1] = key
            }
            let median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
            return 1.4826 * median
        }
    }
}
