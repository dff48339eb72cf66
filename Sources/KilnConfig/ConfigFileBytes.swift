#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a configuration file's bytes, refusing anything that is not a regular file of bounded
/// size: a `devices:` glob that reaches `/dev/zero`, a FIFO or a many-gigabyte log must give an
/// error, not a process that blocks or allocates until it is killed.
enum ConfigFileBytes {
    /// The largest file accepted. Composing YAML costs about thirty times the file in memory, so
    /// 4 MB (about 56,000 tags in flow style, far beyond one plant area's map) keeps `kiln check`
    /// of the largest accepted map near 1.2 s and 125 MB (release build; a 50 MB map took 19 s
    /// and 1.25 GB). `YAMLNodeBudget` bounds the files that are small but dense in nodes.
    static let sizeLimit = 4 * 1024 * 1024

    /// Why a file was not read.
    struct Problem: Error, Equatable {
        var message: String
    }

    /// The bytes of the regular file at `path`, at most `limit` of them.
    ///
    /// The type and size come from `fstat` on the opened descriptor, so what is checked is what
    /// is read; reading stops after `limit + 1` bytes in any case, so a file that grows while it
    /// is read (or a `/proc` file whose size reads as 0) is still bounded.
    static func contents(of path: String, limit: Int = sizeLimit) -> Result<[UInt8], Problem> {
        // A look before opening, so that a device is never opened at all (opening some has side
        // effects: a tape rewinds, a terminal becomes the controlling one). It decides nothing:
        // the fstat below, on the descriptor actually read, does.
        var before = stat()
        if stat(path, &before) == 0, let kind = specialKind(before.st_mode) {
            return .failure(Problem(message: "not a regular file (\(kind)); a config file must be a regular file"))
        }
        // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { return .failure(Problem(message: "cannot open file: \(errnoText())")) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Problem(message: "cannot read file: \(errnoText())")) }
        if let kind = specialKind(info.st_mode) {
            return .failure(Problem(message: "not a regular file (\(kind)); a config file must be a regular file"))
        }
        if Int64(info.st_size) > Int64(limit) {
            return .failure(Problem(message: tooLarge(Int64(info.st_size), limit: limit)))
        }
        var bytes = [UInt8](repeating: 0, count: min(Int(info.st_size), limit) + 1)
        var count = 0
        while true {
            if count == bytes.count {
                if count > limit { return .failure(Problem(message: tooLarge(nil, limit: limit))) }
                // The file grew since fstat (or reports no size, as /proc files do).
                bytes += [UInt8](repeating: 0, count: min(max(count, 64 * 1024), limit + 1 - count))
            }
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Problem(message: "cannot read file: \(errnoText())"))
            }
            if n == 0 { break }
            count += n
        }
        if count > limit { return .failure(Problem(message: tooLarge(nil, limit: limit))) }
        bytes.removeSubrange(count...)
        return .success(bytes)
    }

    /// What a file that is not a regular file is, in words; nil for a regular file.
    private static func specialKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFDIR: "a folder"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "a special file"
        }
    }

    private static func tooLarge(_ size: Int64?, limit: Int) -> String {
        let limitText = "\(limit / (1024 * 1024)) MB (\(limit) bytes)"
        let sizeText = size.map { "file is \($0) bytes" } ?? "file grew past the limit while being read"
        return "\(sizeText); config files are limited to \(limitText) "
            + "(split a big plant into several maps listed under 'devices:')"
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
