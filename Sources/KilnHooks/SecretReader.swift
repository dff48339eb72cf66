import KilnCore
import KilnCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a hook's secret from where the config says it lives (never the config itself).
///
/// An environment variable must be set and non-empty. A file is judged by `SecretFile`, exactly
/// as `kiln check` judges it: a regular file (links followed), owned by the running user, with no
/// group or other permission bits (0600 or 0400), not empty; else it is refused with a message
/// naming the path and what is wrong. A secret is never logged.
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
        // Links are followed, as `kiln check` follows them; O_NONBLOCK keeps a FIFO named by
        // mistake from hanging the open (fstat then refuses it: not a regular file).
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw HookError("secret_file '\(path)' cannot be used: \(reason)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw HookError("secret_file '\(path)' cannot be used: \(String(cString: strerror(errno)))")
        }
        // The file opened is the one judged: the same judgement as `kiln check` (SecretFile).
        if let problem = SecretFile.problem(info, path: path, key: "secret_file") { throw HookError(problem) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw HookError("secret_file '\(path)' cannot be read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes += buffer[0..<n]
            guard bytes.count <= 65_536 else { throw HookError("secret_file '\(path)' is larger than 64 KiB") }
        }
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard !bytes.isEmpty else { throw HookError("secret_file '\(path)' holds nothing but line breaks") }
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

    /// The process environment, as ``ProcessEnvironment`` (and `kiln check`) sees it.
    public static func currentEnvironment() -> [String: String] { ProcessEnvironment.all() }
}
