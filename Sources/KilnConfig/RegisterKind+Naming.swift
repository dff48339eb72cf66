import KilnCore

extension RegisterKind {
    /// `holding register`, `coil`: how messages name one unit of this kind.
    var singular: String {
        switch self {
        case .holding: "holding register"
        case .input: "input register"
        case .coil: "coil"
        case .discrete: "discrete input"
        }
    }

    var plural: String { singular + "s" }
}
