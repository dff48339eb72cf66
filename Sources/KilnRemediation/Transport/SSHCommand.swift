import KilnCore

/// The OpenSSH client's command lines: every option explicit (`-F /dev/null`: no user or system
/// config applies), nothing interactive, only the pinned host key, only the named identity.
public enum SSHCommand {
    /// ssh's whole environment: no SSH_AUTH_SOCK (no agent), no DISPLAY, nothing of Kiln's.
    static let environment = ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"]

    /// The options every invocation shares, for `host`.
    static func common(host: RemediationHost, controlPath: String, connectTimeout: Int) -> [String] {
        var options = [
            "BatchMode=yes", "StrictHostKeyChecking=yes", "UserKnownHostsFile=\(host.knownHosts)",
            "GlobalKnownHostsFile=/dev/null", "UpdateHostKeys=no", "IdentitiesOnly=yes",
            "IdentityFile=\(host.identityFile)", "PasswordAuthentication=no", "KbdInteractiveAuthentication=no",
            "ConnectTimeout=\(connectTimeout)", "ServerAliveInterval=5", "ServerAliveCountMax=3",
            "ControlPath=\(controlPath)", "ForwardAgent=no", "ForwardX11=no", "ClearAllForwardings=yes",
            "PermitLocalCommand=no",
        ]
        // ssh would read `%` in these as its own tokens (%h, %C): written as `%%` they stay literal.
        options = options.map { $0.replacing("%", with: "%%") }
        return ["-F", "/dev/null"] + options.flatMap { ["-o", $0] }
    }

    /// `ConnectTimeout` in whole seconds: the host's, capped by the run's timeout. When the run's
    /// timeout is the smaller one, one second more, so Kiln's kill at the timeout (a clear
    /// `timed out`) comes before ssh's own `Connection timed out` would.
    static func connectTimeout(host: RemediationHost, timeout: Duration) -> Int {
        let hostSeconds = Int(ceilSeconds(host.connectTimeout))
        let runSeconds = Int(ceilSeconds(timeout))
        return max(1, hostSeconds < runSeconds ? hostSeconds : runSeconds + 1)
    }

    private static func ceilSeconds(_ d: Duration) -> Int64 {
        let (s, a) = d.components
        return a > 0 ? s + 1 : s
    }

    /// Why `host`'s user or address cannot go on ssh's command line (a leading `-` would be read
    /// as an option, `-oProxyCommand=…`), or nil.
    static func unsafeDestination(_ host: RemediationHost) -> String? {
        for (what, value) in [("address", host.address), ("user", host.user)] {
            if value.isEmpty || value.hasPrefix("-")
                || value.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7f })
            {
                return
                    "the \(what) of host \(host.name), \(value.debugDescription), is empty, starts with `-` or has spaces or control characters; ssh is not started"
            }
        }
        guard (1...65535).contains(host.port) else {
            return "the port of host \(host.name), \(host.port), is not 1–65535"
        }
        return nil
    }

    /// One run: `ssh … -T -n -p PORT -l USER ADDRESS -- 'quoted' 'argv'`.
    public static func runArguments(
        ssh: String, host: RemediationHost, argv: [String], timeout: Duration, controlPath: String,
        controlPersist: Duration, log: String
    ) -> [String] {
        let persist = max(1, Int(controlPersist.components.seconds))
        return [ssh]
            + common(host: host, controlPath: controlPath, connectTimeout: connectTimeout(host: host, timeout: timeout))
            + ["-o", "ControlMaster=auto", "-o", "ControlPersist=\(persist)", "-v", "-E", log, "-T", "-n"]
            + ["-p", String(host.port), "-l", host.user, host.address, "--", RemoteShell.commandLine(argv)]
    }

    /// A control command to a master (`check`, `exit`).
    static func controlArguments(ssh: String, host: RemediationHost, controlPath: String, command: String) -> [String] {
        [ssh] + common(host: host, controlPath: controlPath, connectTimeout: 5)
            + ["-O", command, "-p", String(host.port), "-l", host.user, host.address]
    }
}
