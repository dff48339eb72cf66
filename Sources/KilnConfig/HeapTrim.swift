#if canImport(Glibc)
    import Glibc
#endif

/// Gives the YAML node tree's memory back to the OS once a load is done.
///
/// Yams builds a node tree of roughly twenty times the file's size (a map of 1,000 devices ×
/// 20 tags peaks near 45 MB). glibc keeps the freed pages mapped because the decoded
/// configuration was allocated above them, so without a trim a gateway would carry that peak
/// for its whole life. `malloc_trim` is looked up at run time because `<malloc.h>` is not part
/// of the Glibc module; where it is missing (other C libraries) this does nothing.
enum HeapTrim {
    static func releaseFreedMemory() {
        #if canImport(Glibc)
            typealias Trim = @convention(c) (Int) -> Int32
            guard let symbol = dlsym(nil, "malloc_trim") else { return }
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }
}
