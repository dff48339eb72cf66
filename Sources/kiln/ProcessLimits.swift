#if canImport(Glibc)
    import Glibc
    private let descriptorLimit = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#endif

enum ProcessLimits {
    /// A connection per client needs more descriptors than the usual soft limit of 1024: raise it
    /// to the hard limit. Only for the simulator, which frames requests itself: libmodbus's
    /// connect waits in select(), which aborts on a descriptor of 1024 or more, so `kiln run`
    /// keeps the soft limit and a 1025th connection fails cleanly with EMFILE instead.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(descriptorLimit, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = min(limit.rlim_max, 65536)
        _ = setrlimit(descriptorLimit, &limit)
    }
}
