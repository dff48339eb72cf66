#if canImport(Glibc)
    import Glibc
    private let descriptorLimit = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#endif

enum ProcessLimits {
    /// A connection per device (or per client, for the simulator) needs more descriptors than the
    /// usual soft limit of 1024: raise it to the hard limit.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(descriptorLimit, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = min(limit.rlim_max, 65536)
        _ = setrlimit(descriptorLimit, &limit)
    }
}
