/// The checks a hook's `url:` passes: an absolute http or https URL with a host, and nothing
/// secret in it.
enum HookURL {
    /// Why `text` is not a usable hook URL, or nil when it is.
    static func problem(_ text: String) -> String? {
        guard text.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "\u{7F}" && ($0.asciiValue ?? 0) >= 0x20 })
        else {
            return "spaces and non-ASCII characters must be percent-encoded"
        }
        guard let schemeEnd = text.range(of: "://") else {
            return "expected an absolute URL such as https://ops.example/kiln"
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            return "the scheme must be http or https, not '\(ConfigReader.quoted(scheme))'"
        }
        let rest = text[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.contains("@") {
            return "credentials in a URL would put a secret in the config; use secret_env or secret_file"
        }
        var host = Substring(authority)
        var port: Substring?
        if host.hasPrefix("[") {
            // An IPv6 literal: [::1]:9093.
            guard let close = host.firstIndex(of: "]") else { return "an IPv6 host needs its closing ']'" }
            let after = host[host.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return "unexpected text after the IPv6 host" }
                port = after.dropFirst()
            }
            host = host[host.index(after: host.startIndex)..<close]
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return "'[\(host)]' is not an IPv6 address"
            }
        } else if let colon = host.lastIndex(of: ":") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard !host.isEmpty else { return "the URL has no host" }
        if !authority.hasPrefix("[") {
            let allowed = host.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" }
            guard allowed, !host.hasPrefix("."), !host.hasSuffix(".."), !host.contains("..") else {
                return "'\(ConfigReader.quoted(String(host)))' is not a host name"
            }
        }
        if let port {
            guard let number = Int(port), (1...65_535).contains(number), port.allSatisfy(\.isNumber) else {
                return "the port must be a number from 1 to 65535, found '\(ConfigReader.quoted(String(port)))'"
            }
        }
        return nil
    }
}
