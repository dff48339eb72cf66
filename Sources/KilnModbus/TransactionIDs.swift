#if canImport(Glibc)
    import Glibc
#endif

/// Unpredictable Modbus/TCP transaction ids, one connection's worth.
///
/// A device (or anything else on the path) that could guess the id of the next request could
/// have a frame it sent early taken as the reply. So every id is drawn from the kernel's
/// random source (arc4random_buf, seeded by getrandom), never counted up from 1, and never equals the id before it. The
/// draws are fetched 64 at a time, so a request costs no system call of its own (64, not more:
/// a gateway holds one pool per device, and at 1,000 devices 256 would be half a megabyte).
///
/// Not `Sendable`: it belongs to its connection.
struct TransactionIDs {
    private static let poolSize = 64
    private var pool = [UInt16](repeating: 0, count: TransactionIDs.poolSize)
    private var next = TransactionIDs.poolSize
    private var last: UInt16?

    /// A fresh id, different from the one before it.
    mutating func draw() -> UInt16 {
        while true {
            if next == pool.count { refill() }
            let id = pool[next]
            next += 1
            if id != last {
                last = id
                return id
            }
        }
    }

    private mutating func refill() {
        // arc4random_buf: glibc's ChaCha20 generator, seeded and reseeded from getrandom(2) (which
        // the Glibc module does not import); it cannot fail.
        pool.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
        next = 0
    }
}
