import KilnCore

extension TagConfig {
    /// The register value behind an engineering value (`(value − offset) / scale`), rounded for
    /// integer registers: what the sentinels are matched against when only engineering values
    /// were recorded.
    public func unscaled(_ value: Double) -> Double {
        let raw = scale == 0 ? value : (value - offset) / scale
        return type.isInteger ? raw.rounded() : raw
    }
}
