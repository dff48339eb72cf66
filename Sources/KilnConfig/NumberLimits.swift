/// The numbers each setting accepts: finite, and within bounds wide enough for any plant yet
/// narrow enough that scaling a raw value, or adding a simulated spike to one, stays finite and
/// exact to well below an engineering unit.
enum NumberLimits {
    /// Engineering values: ranges, simulated values, spikes, noise, deadbands.
    static let engineering: ClosedRange<Double> = -1e15...1e15
    /// `scale`, applied to raw values of up to 64 bits.
    static let scale: ClosedRange<Double> = -1e9...1e9
    /// `offset`, added after scaling.
    static let offset: ClosedRange<Double> = -1e12...1e12
    /// Raw sentinel values of a float type (any finite float is a possible raw value).
    static let anyFinite: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
}
