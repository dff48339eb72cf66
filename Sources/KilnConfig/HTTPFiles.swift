import KilnCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Checks the files the HTTP server reads at start, as ``HookSecrets`` checks the hooks': the
/// token file and the TLS key are secrets (``SecretFile``: a regular file of mode 0600 or 0400
/// owned by Kiln's user), the certificate must be readable. `kiln check` reports the problems,
/// `kiln run` refuses to start on any.
public enum HTTPFiles {
    /// The shortest token accepted: a short one can be guessed.
    public static let minimumTokenLength = 16
    /// The largest token file read.
    static let tokenFileLimit = 1 << 20

    public static func check(_ config: GatewayConfig) -> [Diagnostic] {
        guard let http = config.http else { return [] }
        let place = http.location ?? SourceLocation(file: config.path, line: 1, column: 1)
        var problems: [Diagnostic] = []
        if let path = http.tokenFile {
            let at = http.tokenFileLocation ?? place
            if let problem = SecretFile.problem(path, key: "token_file") {
                problems.append(Diagnostic(location: at, message: "http: \(problem)"))
            } else {
                switch tokens(path) {
                case .success: break
                case .failure(let problem):
                    problems.append(Diagnostic(location: at, message: "http: \(problem.message)"))
                }
            }
        }
        if let tls = http.tls {
            if let problem = SecretFile.problem(tls.key, key: "tls key") {
                problems.append(Diagnostic(location: http.tlsKeyLocation ?? place, message: "http: \(problem)"))
            }
            if access(tls.certificate, R_OK) != 0 {
                problems.append(
                    Diagnostic(
                        location: place,
                        message:
                            "http: tls cert '\(tls.certificate)' cannot be read: \(String(cString: strerror(errno)))"
                    ))
            }
        }
        return problems
    }

    public struct TokenProblem: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The tokens of a token file: one a line, blank lines and `#` comments skipped, each at
    /// least ``minimumTokenLength`` characters, at least one. The file's mode is not judged
    /// here (``check(_:)`` does).
    public static func tokens(_ path: String) -> Result<[String], TokenProblem> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            return .failure(
                TokenProblem(message: "token_file '\(path)' cannot be read: \(String(cString: strerror(errno)))"))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else {
                return .failure(
                    TokenProblem(message: "token_file '\(path)' cannot be read: \(String(cString: strerror(errno)))"))
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > tokenFileLimit {
                return .failure(TokenProblem(message: "token_file '\(path)' is larger than 1 MiB"))
            }
        }
        var tokens: [String] = []
        for (number, raw) in String(decoding: bytes, as: UTF8.self).split(
            separator: "\n", omittingEmptySubsequences: false
        ).enumerated() {
            let line = String(raw).trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.count >= minimumTokenLength else {
                return .failure(
                    TokenProblem(
                        message: "token_file '\(path)' line \(number + 1): a token must be at least "
                            + "\(minimumTokenLength) characters (this one has \(line.count)); "
                            + "make one with: openssl rand -hex 32"))
            }
            guard line.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                return .failure(
                    TokenProblem(
                        message: "token_file '\(path)' line \(number + 1): a token is printable ASCII without spaces"))
            }
            tokens.append(line)
        }
        guard !tokens.isEmpty else {
            return .failure(
                TokenProblem(message: "token_file '\(path)' holds no token; add one a line (openssl rand -hex 32)"))
        }
        return .success(tokens)
    }
}
