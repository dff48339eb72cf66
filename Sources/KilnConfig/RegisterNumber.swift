import KilnCore

/// The 1-based "Modicon" register numbers of device manuals (40001 = first holding register,
/// 30001 = first input register, 10001 = first discrete input; six-digit 400001 style too),
/// as opposed to the 0-based protocol addresses that device maps use.
///
/// Maps flag an address in the 4xxxx range of a holding register (3xxxx for input, 1xxxx for
/// discrete) as an error even though 40001…49999 are legal protocol addresses: copying register
/// numbers from a manual is the commonest map mistake, while a device that really serves
/// registers that high is rare. The engineer who means it writes the address in hex
/// (`0x9C41`), which the check leaves alone. Coils (0xxxx) cannot be told apart from protocol
/// addresses and are never flagged.
public enum RegisterNumber {
    /// The 0-based protocol address that register number `address` stands for, when `address`
    /// looks like a register number of `kind`; nil otherwise.
    ///
    /// - Parameters:
    ///   - address: the address as written in the map (decimal).
    ///   - kind: the tag's register kind.
    public static func protocolAddress(forRegisterNumber address: Int, kind: RegisterKind) -> Int? {
        guard let prefix = prefix(of: kind) else { return nil }
        let five = prefix * 10_000
        let six = prefix * 100_000
        if (five + 1)...(five + 9_999) ~= address { return address - five - 1 }
        if (six + 1)...(six + 65_536) ~= address { return address - six - 1 }
        return nil
    }

    /// The leading digit of a register number of `kind`, or nil for coils (their 0 prefix
    /// vanishes when the number is written as an integer).
    public static func prefix(of kind: RegisterKind) -> Int? {
        switch kind {
        case .holding: 4
        case .input: 3
        case .discrete: 1
        case .coil: nil
        }
    }
}
