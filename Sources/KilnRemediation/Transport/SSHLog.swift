/// What ssh's debug log (`-v -E FILE`) says about one run: the host key it was offered, whether
/// it refused that key, whether the run went over a multiplexed connection, and ssh's own errors.
///
/// The log is read, not ssh's stderr: with `-E` every message of ssh itself goes to the file,
/// and stderr carries only the remote command's.
struct SSHLog: Sendable, Hashable {
    /// `SHA256:...` from `Server host key: TYPE SHA256:...` (a key exchange happened in this run).
    var offeredFingerprint: String?
    /// The key type ssh named (`ssh-ed25519`).
    var offeredKeyType: String?
    /// `changed` or `unknown` when ssh refused the host key.
    var hostKeyProblem: String?
    /// The run was a client of an existing master (`mux_client_request_session`).
    var muxSession = false
    /// ssh's own messages that are not debug lines (errors, warnings), in order.
    var messages: [String] = []

    /// The run went over a connection set up earlier: a mux session and no key exchange.
    var multiplexed: Bool { muxSession && offeredFingerprint == nil }

    init(_ text: String) {
        // ssh ends its log lines with CRLF, which Swift reads as one Character: split on any newline.
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = String(raw)
            if line.hasPrefix("debug") {
                if let r = line.range(of: "Server host key: ") {
                    let fields = line[r.upperBound...].split(separator: " ")
                    offeredKeyType = fields.first.map(String.init)
                    offeredFingerprint = fields.first { $0.hasPrefix("SHA256:") }.map(String.init)
                } else if line.contains("mux_client_request_session: master session id") {
                    muxSession = true
                }
                continue
            }
            if line.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
                || line.contains("has changed and you have requested strict checking")
            {
                hostKeyProblem = "changed"
            } else if hostKeyProblem == nil,
                line.hasPrefix("No ") && line.contains("host key is known for")
                    || line.contains("Host key verification failed")
            {
                hostKeyProblem = "unknown"
            }
            if line.hasPrefix("OpenSSH_") || line.hasPrefix("Transferred:") || line.hasPrefix("Bytes per second")
                || line.hasPrefix("Authenticated to ") || line.hasPrefix("@") || line.trimmingPrefixSpaces.isEmpty
            {
                continue
            }
            messages.append(line)
        }
    }

    /// ssh's last error-looking message, for `detail`.
    var lastMessage: String? {
        messages.last { !$0.hasPrefix("Warning: Permanently added") && !$0.hasPrefix("Master refused") }
    }
}

extension String {
    fileprivate var trimmingPrefixSpaces: Substring { drop { $0 == " " || $0 == "\t" } }
}
