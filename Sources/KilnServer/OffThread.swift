import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// Blocking work (SQLite queries of the historian and the remediation queue) on a thread of its
/// own, awaited, so Swift's cooperative pool (two threads on a two-core gateway, shared with the
/// HTTP server's handlers) never waits on a disk.
enum OffThread {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result: Result<T, any Error> = await withCheckedContinuation { continuation in
            var handle = pthread_t()
            let rc = OSThread.spawn(name: "kiln-http-query", detached: true, handle: &handle) {
                continuation.resume(returning: Result { try body() })
            }
            if rc != 0 { continuation.resume(returning: Result { try body() }) }
        }
        return try result.get()
    }
}
