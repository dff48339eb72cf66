import KilnCore

/// Orders OPC UA status codes from best to worst for aggregates.
enum StatusSeverity {
    /// OPC UA's BadNoData: an interval no reading covers at all.
    static let noData: UInt32 = StatusCode.badNoData.rawValue

    /// 0 Good, 1 Uncertain, 2 Bad (the reserved severity 3 counts as Bad).
    @inline(__always)
    static func severity(_ status: UInt32) -> UInt32 { min(status >> 30, 2) }

    @inline(__always)
    static func isGood(_ status: UInt32) -> Bool { status >> 30 == 0 }

    /// The worse of two codes: the higher severity, then the numerically larger code.
    @inline(__always)
    static func worse(_ a: UInt32, _ b: UInt32) -> UInt32 {
        (severity(a), a) >= (severity(b), b) ? a : b
    }
}
