import KilnCore
import KilnCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a hook's secret from where the config says it lives (never the config itself).
///
/// An environment variable must be set and non-empty. A file must be a regular file owned by
/// the running user with no group or other permission bits (0600 or 0400), else it is refused with
/// a message naming the path and its mode. A secret is never logged.
public enum SecretReader {
    /// The secret's bytes; a trailing newline of a file is dropped.
    ///
    /// - Parameters:
    ///   - source: where the secret lives.
    ///   - environment: the process environment (injectable for tests).
    public static func read(
        _ source: SecretSource, environment: [String: String] = currentEnvironment()
    ) throws(HookError) -> [UInt8] {
        switch source {
        case .environment(let name):
            guard let value = environment[name] else {
                throw HookError("the secret's environment variable \(name) is not set")
            }
            guard !value.isEmpty else { throw HookError("the secret's environment variable \(name) is empty") }
            return Array(value.utf8)
        case .file(let path):
            return try readFile(path)
        }
    }

    private static func readFile(_ path: String) throws(HookError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw HookError("cannot open the secret file \(path): \(reason)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw HookError("cannot stat the secret file \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw HookError("the secret file \(path) is not a regular file")
        }
        let mode = info.st_mode & 0o7777
        guard info.st_uid == getuid() else {
            throw HookError(
                "the secret file \(path) is owned by uid \(info.st_uid), not by the user running Kiln (uid \(getuid()))"
            )
        }
        guard mode & 0o077 == 0 else {
            throw HookError(
                "the secret file \(path) has mode \(String(mode, radix: 8, uppercase: false).leftPadded(4)); "
                    + "it must be readable by its owner only (chmod 600 \(path))")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw HookError("cannot read the secret file \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes += buffer[0..<n]
            guard bytes.count <= 65_536 else { throw HookError("the secret file \(path) is larger than 64 KiB") }
        }
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard !bytes.isEmpty else { throw HookError("the secret file \(path) is empty") }
        return bytes
    }

    /// A Standard Webhooks signing key: `whsec_<base64>` decodes to its bytes; anything else is
    /// used as raw bytes.
    public static func webhookKey(_ secret: [UInt8]) -> [UInt8] {
        let prefix = Array("whsec_".utf8)
        guard secret.count > prefix.count, Array(secret.prefix(prefix.count)) == prefix,
            let decoded = Base64.decode(String(decoding: secret.dropFirst(prefix.count), as: UTF8.self)),
            !decoded.isEmpty
        else { return secret }
        return decoded
    }

    /// The process environment.
    public static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            pointer += 1
        }
        return result
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
