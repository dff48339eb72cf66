import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// Runs blocking work (joining threads, a last SQLite commit) on a thread of its own and
/// awaits it, so Swift's cooperative pool (two threads on a two-core gateway) never blocks.
enum OffPool {
    static func run(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            var handle = pthread_t()
            let rc = OSThread.spawn(name: "kiln-offpool", handle: &handle) {
                body()
                continuation.resume()
            }
            if rc == 0 {
                pthread_detach(handle)
            } else {
                body()
                continuation.resume()
            }
        }
    }
}
