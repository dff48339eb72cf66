import KilnCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Checks the files remediation reaches at run time, without using them: `kiln check` reports
/// the problems and `kiln run` refuses to start on any, as for hooks' secrets.
///
/// - `identity_file`: judged by ``SecretFile`` (regular file, links followed, no group or other
///   bit, owned by Kiln's user, not empty), as OpenSSH itself refuses a key others can read.
/// - `known_hosts`: a regular file (links followed), not writable by group or others, owned by
///   Kiln's user or root, holding at least one host key line: an empty pin file would refuse
///   every host, a writable one lets anybody pin their own key.
/// - the OpenSSH client (`ssh:`, `/usr/bin/ssh` by default): an executable file.
public enum RemediationFiles {
    /// The longest known_hosts file read (a pin file holds a few lines).
    static let knownHostsLimit = 1 << 20

    /// The problems, at the `identity_file:` or `known_hosts:` value of each host (the host's own
    /// place when that is unknown), and at the `remediation:` block for the client.
    public static func check(_ config: GatewayConfig) -> [Diagnostic] {
        guard let remediation = config.remediation else { return [] }
        let fallback = remediation.location ?? SourceLocation(file: config.path, line: 1, column: 1)
        var problems: [Diagnostic] = []
        if !remediation.hosts.isEmpty, let problem = FilePaths.programProblem(remediation.sshPath ?? "/usr/bin/ssh") {
            problems.append(
                Diagnostic(
                    location: fallback,
                    message: "remediation: the OpenSSH client \(problem); install openssh-client or set 'ssh:'"))
        }
        for host in remediation.hosts {
            let place = host.location ?? fallback
            if let problem = SecretFile.problem(host.identityFile, key: "identity_file") {
                problems.append(
                    Diagnostic(
                        location: host.identityLocation ?? place, message: "remediation host '\(host.name)': \(problem)"
                    ))
            }
            if let problem = knownHostsProblem(host.knownHosts) {
                problems.append(
                    Diagnostic(
                        location: host.knownHostsLocation ?? place,
                        message: "remediation host '\(host.name)': \(problem)"))
            }
        }
        return problems
    }

    /// Why `path` cannot serve as a pinned known_hosts file, or nil when it can.
    public static func knownHostsProblem(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return "known_hosts '\(path)' cannot be used: \(String(cString: strerror(errno)))"
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            let what = (info.st_mode & S_IFMT) == S_IFDIR ? "a folder" : "not a regular file"
            return "known_hosts '\(path)' is \(what)"
        }
        let mode = info.st_mode & 0o7777
        if mode & 0o022 != 0 {
            return "known_hosts '\(path)' has mode \(SecretFile.octal(mode)), must not be writable by group or others "
                + "(anyone who can write it can pin their own key): run chmod 644 '\(path)'"
        }
        let user = getuid()
        if info.st_uid != user, info.st_uid != 0 {
            return "known_hosts '\(path)' is owned by uid \(info.st_uid); it must be owned by the user running Kiln "
                + "(uid \(user)) or root: run chown \(user) '\(path)'"
        }
        guard let text = read(path) else {
            return "known_hosts '\(path)' cannot be read: \(String(cString: strerror(errno)))"
        }
        let lines = KnownHostsLines(text)
        if lines.usable == 0 {
            let what =
                lines.revoked > 0
                ? "holds only @revoked keys" : "holds no host key line (HOST KEYTYPE BASE64)"
            return "known_hosts '\(path)' \(what): every host would be refused; pin the host's key with "
                + "ssh-keyscan and compare its fingerprint with the one read on the host's console "
                + "(README: Remediation over SSH)"
        }
        return nil
    }

    /// The file's text, up to `knownHostsLimit` bytes; nil (errno set) when it cannot be read.
    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while bytes.count < knownHostsLimit {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes.prefix(knownHostsLimit), as: UTF8.self)
    }
}

/// The lines of a known_hosts file as OpenSSH reads them (sshd(8), SSH_KNOWN_HOSTS FILE FORMAT):
/// `[@cert-authority|@revoked] HOSTS KEYTYPE BASE64 [COMMENT]`; blank lines and `#` comments skipped.
struct KnownHostsLines {
    /// Lines that pin a key (or a certificate authority).
    var usable = 0
    /// `@revoked` lines: they refuse a key, they pin none.
    var revoked = 0
    /// Lines OpenSSH would skip as malformed.
    var malformed = 0

    init(_ text: String) {
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var words = raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })[...]
            guard let first = words.first, !first.hasPrefix("#") else { continue }
            var isRevoked = false
            if first.hasPrefix("@") {
                guard first == "@cert-authority" || first == "@revoked" else {
                    malformed += 1
                    continue
                }
                isRevoked = first == "@revoked"
                words = words.dropFirst()
            }
            guard words.count >= 3, Self.isKeyType(words[words.startIndex + 1]),
                Self.isKeyBlob(words[words.startIndex + 2])
            else {
                malformed += 1
                continue
            }
            if isRevoked { revoked += 1 } else { usable += 1 }
        }
    }

    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `sk-ssh-ed25519@openssh.com`, `ssh-rsa-cert-v01@openssh.com`.
    static func isKeyType(_ word: Substring) -> Bool {
        !word.isEmpty && word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-@._".contains($0)) }
            && word.contains("-")
    }

    /// Base64 of an SSH wire-format key, which starts with a 32-bit length below 2^24 (`AAAA`).
    static func isKeyBlob(_ word: Substring) -> Bool {
        word.count >= 16 && word.count % 4 == 0 && word.hasPrefix("AAAA")
            && word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" || $0 == "=") }
    }
}

extension FilePaths {
    /// Why `path` cannot be run as a program, or nil when it can.
    static func programProblem(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return "'\(path)' cannot be used: \(String(cString: strerror(errno)))"
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return "'\(path)' is not a regular file" }
        guard access(path, X_OK) == 0 else { return "'\(path)' is not executable" }
        return nil
    }
}
