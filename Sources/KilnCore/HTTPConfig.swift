/// `http:` of a gateway config: the HTTP API, `/metrics` and the operator's page. Without the
/// block the gateway serves no HTTP at all.
public struct HTTPConfig: Sendable, Hashable {
    /// The address to listen on: an IPv4 or IPv6 literal (`127.0.0.1`, `::1`, `0.0.0.0`).
    public var host: String
    public var port: Int
    /// The file of bearer tokens, one a line (mode 0600); nil: no token accepted, so only the
    /// routes that need none answer (loopback only).
    public var tokenFile: String?
    /// TLS for deployments without a reverse proxy.
    public var tls: TLSFiles?
    /// The `http:` block, the `token_file:` value and the `tls: { key: }` value, for messages.
    public var location: SourceLocation?
    public var tokenFileLocation: SourceLocation?
    public var tlsKeyLocation: SourceLocation?

    /// The certificate chain and private key (PEM) of `tls:`.
    public struct TLSFiles: Sendable, Hashable {
        public var certificate: String
        public var key: String

        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 8080

    public init(
        host: String = HTTPConfig.defaultHost, port: Int = HTTPConfig.defaultPort, tokenFile: String? = nil,
        tls: TLSFiles? = nil
    ) {
        self.host = host
        self.port = port
        self.tokenFile = tokenFile
        self.tls = tls
    }

    /// `127.0.0.1:8080`, `[::1]:8080`.
    public var listenText: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether only this machine can connect: 127.0.0.0/8 or ::1.
    public var isLoopback: Bool { Self.isLoopback(host) }

    public static func isLoopback(_ host: String) -> Bool {
        if host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
