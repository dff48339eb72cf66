import KilnCrypto
import Synchronization

/// The tokens of `http: { token_file }`, kept only as SHA-256 digests: an offered token is
/// hashed and compared with every configured digest in constant time (each comparison reads
/// every byte, and every digest is compared), so neither the time taken nor an early exit says
/// how much of a token was right.
public struct BearerTokens: Sendable {
    private let digests: [[UInt8]]

    public init(_ tokens: [String]) {
        digests = tokens.map { Digest.sha256(Array($0.utf8)) }
    }

    public var isEmpty: Bool { digests.isEmpty }

    /// Who offered `token`: `http:<first 12 hex digits of its SHA-256>`, or nil when it is
    /// none of the configured tokens.
    public func caller(offering token: Substring) -> String? {
        digest(offering: token).map(BearerTokens.callerName)
    }

    /// The SHA-256 of `token` when it is one of the configured tokens, else nil.
    func digest(offering token: Substring) -> [UInt8]? {
        let offered = Digest.sha256(Array(token.utf8))
        var matched = false
        for digest in digests {
            var difference: UInt8 = 0
            for i in 0..<32 { difference |= digest[i] ^ offered[i] }
            matched = matched || difference == 0
        }
        return matched ? offered : nil
    }

    /// `http:<first 12 hex digits of the token's SHA-256>`.
    static func callerName(_ digest: [UInt8]) -> String { "http:" + String(Base64.hex(digest).prefix(12)) }

    /// The token of an `Authorization: Bearer <token>` header value; nil for any other scheme.
    public static func bearer(_ header: String) -> Substring? {
        let trimmed = header.drop { $0 == " " }
        let scheme = trimmed.utf8.prefix(7)
        guard scheme.count == 7, trimmed.utf8.count > 7,
            zip(scheme, "bearer ".utf8).allSatisfy({ $0 | ($0 >= 0x41 && $0 <= 0x5A ? 0x20 : 0) == $1 })
        else { return nil }
        let token = trimmed.dropFirst(7).drop { $0 == " " }
        let end = token.lastIndex { $0 != " " }.map { token.index(after: $0) } ?? token.startIndex
        let value = token[..<end]
        return value.isEmpty ? nil : value
    }
}

/// The tokens the server checks now: those of `token_file` at start, replaced by the file's
/// contents after each configuration reload (SIGHUP), so a token is rotated without a restart.
public final class CurrentTokens: Sendable {
    private let tokens: Mutex<BearerTokens>

    public init(_ tokens: BearerTokens) { self.tokens = Mutex(tokens) }

    public var current: BearerTokens { tokens.withLock { $0 } }

    public func replace(with tokens: BearerTokens) { self.tokens.withLock { $0 = tokens } }
}
