/// The four Modbus data tables.
public enum RegisterKind: String, Sendable, Hashable, CaseIterable, Comparable {
    case holding
    case input
    case coil
    case discrete

    /// Coils and discrete inputs hold single bits; holding and input registers hold 16-bit words.
    public var isBit: Bool { self == .coil || self == .discrete }

    /// The most units one request may read (Modbus application protocol, 6.1–6.4).
    public var protocolLimit: Int { isBit ? 2000 : 125 }

    public static func < (lhs: RegisterKind, rhs: RegisterKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
