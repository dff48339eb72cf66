import Foundation
import KilnProcess

#if canImport(Glibc)
    import Glibc
#endif

/// Setting up or starting the test sshd failed.
public struct SSHServerError: Error, CustomStringConvertible {
    public let description: String
}

/// A real OpenSSH server (Debian `openssh-server`) on a loopback port, for the remediation tests:
/// a generated ed25519 host key, an authorized generated client key (0600), a pinned
/// known_hosts for its key, `StrictModes no` (its files live under /tmp), no PAM, root allowed
/// by key only (the tests run as root). A missing `sshd` or `ssh-keygen` throws: no skip.
public final class SSHServer: @unchecked Sendable {
    // @unchecked: every stored property is set in init and never changed; `pid` is only
    // touched again by stop().
    public let port: Int
    public let dir: TempDir
    /// The client's private key and the pinned known_hosts naming this server's key.
    public let clientKey: String
    public let knownHosts: String
    /// `SHA256:...` of the server's host key, as ssh-keygen prints it.
    public let fingerprint: String
    /// The user the tests log in as (the current one).
    public let user: String
    /// sshd's pid. Not a Foundation `Process`: sshd closes every descriptor it inherited, which
    /// Foundation's monitor takes for an exit and then blocks in waitpid, starving every other
    /// Process of the test run.
    private var pid: pid_t = 0

    public static let sshd = "/usr/sbin/sshd"
    public static let keygen = "/usr/bin/ssh-keygen"

    public init(_ name: String = #function) throws {
        for tool in [Self.sshd, Self.keygen, "/usr/bin/ssh"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw SSHServerError(
                description: "\(tool) is missing: install openssh-server and openssh-client (tools/setup.sh --tests)")
        }
        dir = TempDir("ssh" + name)
        user = String(cString: getpwuid(geteuid()).pointee.pw_name)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let hostKey = dir.file("host_ed25519")
        clientKey = dir.file("client_ed25519")
        try Self.keygen(hostKey)
        try Self.keygen(clientKey)
        chmod(clientKey, 0o600)
        try FileManager.default.copyItem(atPath: clientKey + ".pub", toPath: dir.file("authorized_keys"))
        fingerprint = try Self.fingerprint(of: hostKey + ".pub")
        port = try freePort()
        knownHosts = try dir.write("known_hosts", try Self.knownHostsLine(port: port, publicKey: hostKey + ".pub"))
        let config = try dir.write(
            "sshd_config",
            """
            ListenAddress 127.0.0.1
            HostKey \(hostKey)
            PidFile \(dir.file("sshd.pid"))
            AuthorizedKeysFile \(dir.file("authorized_keys"))
            StrictModes no
            UsePAM no
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            MaxSessions 64
            MaxStartups 64
            LogLevel ERROR

            """)
        pid = try Self.spawnDaemon(
            [Self.sshd, "-D", "-e", "-f", config, "-p", String(port)], log: dir.file("sshd.log"))
        try waitForBanner()
    }

    /// Until the port answers with `SSH-2.0-` (10 s at most).
    private func waitForBanner() throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                let log = (try? String(contentsOfFile: dir.file("sshd.log"), encoding: .utf8)) ?? ""
                throw SSHServerError(description: "sshd exited at once (wait status \(status)): \(log)")
            }
            if Self.banner(port: port)?.hasPrefix("SSH-2.0-") == true { return }
            usleep(20_000)
        }
        stop()
        throw SSHServerError(description: "sshd did not answer on 127.0.0.1:\(port) within 10 s")
    }

    /// The first line a loopback TCP peer on `port` sends (nil: no connection, or nothing in 1 s).
    public static func banner(port: Int) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return nil }
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        return String(decoding: buffer.prefix(n), as: UTF8.self)
    }

    /// A known_hosts file that pins a DIFFERENT ed25519 key for this server (a changed key).
    public func knownHostsWithDifferentKey() throws -> String {
        let other = dir.file("other_ed25519")
        if !FileManager.default.fileExists(atPath: other) { try Self.keygen(other) }
        return try dir.write("known_hosts_changed", try Self.knownHostsLine(port: port, publicKey: other + ".pub"))
    }

    /// An empty known_hosts file (an unknown key).
    public func emptyKnownHosts() throws -> String { try dir.write("known_hosts_empty", "") }

    /// Stops sshd (the sessions it forked end with their connections) and removes its folder.
    public func stop() {
        if pid > 0 {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            pid = 0
        }
        dir.cleanup()
    }

    // MARK: ssh-keygen

    static func keygen(_ path: String) throws {
        _ = try run(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", "kiln-test", "-f", path])
    }

    /// `SHA256:...` of a public key file.
    public static func fingerprint(of publicKey: String) throws -> String {
        let out = try run(keygen, ["-l", "-E", "sha256", "-f", publicKey])
        guard let fp = out.split(separator: " ").first(where: { $0.hasPrefix("SHA256:") }) else {
            throw SSHServerError(description: "ssh-keygen -l printed no fingerprint: \(out)")
        }
        return String(fp)
    }

    static func knownHostsLine(port: Int, publicKey: String) throws -> String {
        let fields = try String(contentsOfFile: publicKey, encoding: .utf8).split(separator: " ")
        guard fields.count >= 2 else { throw SSHServerError(description: "\(publicKey) is not a public key") }
        return "[127.0.0.1]:\(port) \(fields[0]) \(fields[1])\n"
    }

    /// Runs a tool to its end; its stdout, or a thrown error with its stderr.
    @discardableResult
    public static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let r = ProcessRun.run(
            command: [tool] + arguments, environment: ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"], timeout: .seconds(60))
        guard r.status == 0 else {
            throw SSHServerError(
                description:
                    "\(tool) \(arguments.joined(separator: " ")) failed (status \(r.status.map(String.init) ?? "none"), \(r.spawnError ?? "")): \(r.stderr.text)"
            )
        }
        return String(decoding: r.stdout.head, as: UTF8.self)
    }

    /// Starts a long-running program with stdout and stderr appended to `log`; its pid.
    public static func spawnDaemon(_ argv: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid: pid_t = 0
        let cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let environment = ["PATH=/usr/sbin:/usr/bin:/bin"]
        let env: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { for p in cargs + env { free(p) } }
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cargs, env)
        guard rc == 0 else {
            throw SSHServerError(description: "cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }
        return pid
    }
}
