import KilnCore

extension ConfigReader {
    /// Reports each tag that shares a register (or coil, or bit) with an earlier tag of its
    /// device, at the later tag's address, naming the earliest one it collides with.
    ///
    /// Bool tags with `bit:` may share a holding or input register as long as their bits differ;
    /// any other tag in that register overlaps them.
    mutating func checkOverlaps(_ tags: [DecodedTag]) {
        // Sweep in address order, keeping the tags whose range is still open.
        let order = tags.indices.sorted {
            let (a, b) = (tags[$0].config, tags[$1].config)
            return (a.register, a.address, $0) < (b.register, b.address, $1)
        }
        var firstClash: [Int: Int] = [:]
        var open: [Int] = []
        for index in order {
            let tag = tags[index].config
            open.removeAll {
                let other = tags[$0].config
                return other.register != tag.register || other.endAddress < tag.address
            }
            for other in open where Self.clash(tag, tags[other].config) {
                let (first, second) = (min(index, other), max(index, other))
                firstClash[second] = min(firstClash[second] ?? first, first)
            }
            open.append(index)
        }
        for (second, first) in firstClash {
            let (a, b) = (tags[first].config, tags[second].config)
            let reference = a.location.map { " (\($0.reference(from: file)))" } ?? ""
            error(
                "tag '\(b.name)' overlaps tag '\(a.name)'\(reference) on \(Self.shared(a, b))",
                at: tags[second].addressLocation)
        }
    }

    private static func clash(_ a: TagConfig, _ b: TagConfig) -> Bool {
        guard a.register == b.register, a.address <= b.endAddress, b.address <= a.endAddress else { return false }
        if let bitA = a.registerBit, let bitB = b.registerBit { return bitA == bitB }
        return true
    }

    /// `holding registers 101-102`, `bit 3 of input register 7`, `coil 12`.
    private static func shared(_ a: TagConfig, _ b: TagConfig) -> String {
        let start = max(a.address, b.address)
        let end = min(a.endAddress, b.endAddress)
        if let bit = a.registerBit, b.registerBit == bit { return "bit \(bit) of \(a.register.singular) \(start)" }
        return start == end ? "\(a.register.singular) \(start)" : "\(a.register.plural) \(start)-\(end)"
    }
}

extension TagConfig {
    /// The bit a bool tag reads inside a holding or input register (bit 0 when not given).
    var registerBit: Int? {
        guard type == .bool, !register.isBit else { return nil }
        return bit ?? 0
    }
}
