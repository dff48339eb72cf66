import KilnCore
import Yams

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension MappingSchema {
    /// The gateway's `http:` block.
    static let http = MappingSchema("http", keys: ["listen", "token_file", "tls"])

    /// `tls:` of `http:`.
    static let httpTLS = MappingSchema("tls", keys: ["cert", "key"], required: ["cert", "key"])
}

extension ConfigReader {
    /// `http:` of a gateway config. `listen` defaults to 127.0.0.1:8080; a listen address other
    /// than loopback needs a `token_file` (anyone on the network could read the plant otherwise).
    mutating func http(_ node: Node) -> HTTPConfig? {
        // `http:` with nothing under it: the defaults.
        if node.isNull { return HTTPConfig() }
        guard let fields = fields(node, .http) else { return nil }
        let errorsBefore = count
        var http = HTTPConfig()
        http.location = location(of: node)
        if let listenNode = fields["listen"], let text = text(listenNode, "listen") {
            switch Self.listenAddress(text) {
            case .success(let (host, port)):
                http.host = host
                http.port = port
            case .failure(let problem):
                error(problem.message, at: listenNode)
            }
        }
        if let tokenNode = fields["token_file"], let entry = text(tokenNode, "token_file") {
            http.tokenFile = FilePaths.resolve(entry, relativeTo: file)
            http.tokenFileLocation = location(of: tokenNode)
        }
        if let tlsNode = fields["tls"], let tls = self.fields(tlsNode, .httpTLS) {
            let cert = text(tls, "cert").map { FilePaths.resolve($0, relativeTo: file) }
            let key = text(tls, "key").map { FilePaths.resolve($0, relativeTo: file) }
            if let cert, let key {
                http.tls = HTTPConfig.TLSFiles(certificate: cert, key: key)
                http.tlsKeyLocation = tls["key"].map { location(of: $0) }
            }
        }
        if http.tokenFile == nil, !http.isLoopback {
            error(
                "http listens on \(http.listenText), which is not loopback, without a 'token_file': anyone who "
                    + "can reach it could read the plant; add 'token_file:' or listen on 127.0.0.1",
                at: fields["listen"] ?? node)
        }
        return count == errorsBefore ? http : nil
    }

    struct ListenProblem: Error {
        var message: String
    }

    /// `HOST:PORT` (`127.0.0.1:8080`, `0.0.0.0:443`, `[::1]:8080`, `localhost:8080`): an IP
    /// literal (or localhost, read as 127.0.0.1) and a port from 1 to 65535.
    static func listenAddress(_ text: String) -> Result<(String, Int), ListenProblem> {
        let hint = "expected HOST:PORT, such as 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080"
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return .failure(ListenProblem(message: "listen '\(text)': no closing ']'; \(hint)"))
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                return .failure(ListenProblem(message: "listen '\(text)' has no port; \(hint)"))
            }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                return .failure(ListenProblem(message: "listen '\(text)' has no port; \(hint)"))
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                return .failure(ListenProblem(message: "listen '\(text)': write an IPv6 address in brackets; \(hint)"))
            }
        }
        guard let port = Int(portText), (1...65_535).contains(port) else {
            return .failure(ListenProblem(message: "listen '\(text)': port '\(portText)' is not from 1 to 65535"))
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard isIPLiteral(String(host)) else {
            return .failure(
                ListenProblem(
                    message: "listen '\(text)': '\(host)' is not an IPv4 or IPv6 address (or localhost); \(hint)"))
        }
        return .success((String(host), port))
    }

    static func isIPLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
