import Foundation
import KilnCore
import KilnProcess

/// The product's ``RemoteTransport``: the OpenSSH client, spawned per run without a shell, under
/// the host's pinned key, its connections multiplexed through control sockets in a private folder.
///
/// ## Multiplexing
/// Each run is `ssh -o ControlMaster=auto -o ControlPersist=…`: the first run to a host connects,
/// authenticates, and its ssh forks the master into the background (its own session, so a run's
/// timeout, which kills the run's process group, never kills the master); later runs are clients
/// of that master and skip the TCP, key exchange and authentication round trips. A socket whose
/// master died is found stale by ssh itself, unlinked, and the run connects afresh (and becomes
/// the new master). Chosen over an explicit `ssh -M -N -f` master per host because the first run
/// then costs one ssh start instead of two, and ssh handles stale sockets and races between
/// concurrent first runs (the loser runs over its own plain connection). See tools/bench/README-ssh.md.
///
/// ## Host keys
/// `StrictHostKeyChecking=yes` with only the pinned `UserKnownHostsFile`: ssh refuses an unknown
/// or changed key before it authenticates, so nothing runs. The debug log (`-v -E FILE`, in the
/// control folder, deleted after each run) gives the fingerprint offered; a multiplexed run has
/// no key exchange, so the fingerprint seen when its master connected is reported. A master left
/// by an earlier Kiln process (whose key this one has not seen) is closed before the first run.
///
/// The master writes its own debug lines (about 400 bytes per multiplexed run) to the log of the
/// run that started it: that file is unlinked after the run, and its space is freed when the
/// master exits (`ControlPersist` after its last run, or ``shutdown()``).
public actor SSHTransport: RemoteTransport {
    public let sshPath: String
    public let controlDirectory: String
    public let controlPersist: Duration
    /// Host key fingerprints seen per control socket, from the run that connected it.
    private var fingerprints: [String: String] = [:]
    /// Control sockets this transport has used (closed by `shutdown`), with their host.
    private var sockets: [String: RemediationHost] = [:]

    /// - Parameters:
    ///   - sshPath: the OpenSSH client (absolute; it is not looked up in PATH).
    ///   - controlDirectory: the private folder of the control sockets; made 0700 if missing,
    ///     refused if it is a symlink, not this user's, or open to group or others.
    ///   - controlPersist: how long an idle master stays.
    public init(sshPath: String = "/usr/bin/ssh", controlDirectory: String, controlPersist: Duration = .seconds(600))
        throws(SSHTransportError)
    {
        try SSHControlDirectory.prepare(controlDirectory)
        self.sshPath = sshPath
        self.controlDirectory = controlDirectory
        self.controlPersist = controlPersist
    }

    /// The transport a gateway config asks for: `control_directory` (else the default one for
    /// the historian file), `control_persist` and `ssh`.
    public init(config: RemediationConfig, historian: String) throws(SSHTransportError) {
        try self.init(
            sshPath: config.sshPath ?? "/usr/bin/ssh",
            controlDirectory: config.controlDirectory ?? SSHControlDirectory.defaultPath(historian: historian),
            controlPersist: config.controlPersist)
    }

    // MARK: Running

    public func run(_ run: RemoteRun) async -> RemoteRunResult {
        let started = ProcessRun.wallMicros()
        let deadline = ProcessRun.monotonicMicros() + micros(run.timeout)
        do {
            // Checked again per run: a /tmp cleaner or another user may have touched it since.
            try SSHControlDirectory.prepare(controlDirectory)
        } catch {
            return RemoteRunResult(
                outcome: .failed, started: started, ended: ProcessRun.wallMicros(), detail: error.description)
        }
        if let problem = SSHCommand.unsafeDestination(run.host) {
            return RemoteRunResult(outcome: .failed, started: started, ended: ProcessRun.wallMicros(), detail: problem)
        }
        let socket = SSHControlDirectory.socketPath(directory: controlDirectory, host: run.host)
        if sockets[socket] == nil {
            // A master this process did not start: its host key was never seen here.
            sockets[socket] = run.host
            await closeMaster(socket: socket, host: run.host)
        }
        let log = controlDirectory + "/run-\(run.id)-\(UInt32.random(in: 0...UInt32.max)).log"
        let remaining = max(0, deadline - ProcessRun.monotonicMicros())
        let argv = SSHCommand.runArguments(
            ssh: sshPath, host: run.host, argv: run.argv, timeout: run.timeout, controlPath: socket,
            controlPersist: controlPersist, log: log)
        let process = await Self.spawn(argv, timeout: .microseconds(remaining))
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        unlink(log)
        let facts = SSHLog(text)
        if let seen = facts.offeredFingerprint, facts.hostKeyProblem == nil, process.status != 255 {
            fingerprints[socket] = seen
        }
        var result = RemoteRunResult(
            outcome: .failed, started: started, ended: ProcessRun.wallMicros(), stdout: process.stdout,
            stderr: process.stderr, multiplexed: facts.multiplexed)
        result.fingerprint = facts.offeredFingerprint ?? (facts.multiplexed ? fingerprints[socket] : nil)
        if let spawnError = process.spawnError {
            result.detail = spawnError
        } else if process.timedOut {
            result.outcome = .timedOut
            result.detail =
                "ssh to \(run.host.name) (\(run.host.address):\(run.host.port)) passed its timeout of \(run.timeout); it and its process group were killed"
        } else if let signal = process.signal {
            result.detail = "ssh to \(run.host.name) was killed by signal \(signal)"
        } else if process.status == 255 {
            if let problem = facts.hostKeyProblem {
                result.outcome = .refusedHostKey
                let offered = [facts.offeredKeyType, facts.offeredFingerprint].compactMap { $0 }.joined(separator: " ")
                result.detail =
                    problem == "changed"
                    ? "the host key of \(run.host.name) (\(run.host.address):\(run.host.port)) has CHANGED: it offered \(offered), which is not the key pinned in \(run.host.knownHosts); nothing ran"
                    : "the host key of \(run.host.name) (\(run.host.address):\(run.host.port)) is unknown: it offered \(offered), and \(run.host.knownHosts) pins no key of that type for it; nothing ran"
            } else {
                result.detail =
                    "ssh to \(run.host.name) failed: " + (facts.lastMessage ?? "exit status 255, no message")
            }
        } else if let status = process.status {
            result.exitCode = status
            if status == 0 {
                result.outcome = .succeeded
            } else {
                result.detail = "the remote command exited with status \(status)"
            }
        }
        return result
    }

    /// Closes every master this transport used (`ssh -O exit`).
    public func shutdown() async {
        let all = sockets
        sockets = [:]
        fingerprints = [:]
        for (socket, host) in all { await closeMaster(socket: socket, host: host) }
    }

    /// Asks the master on `socket`, if any, to exit, and removes a socket left behind.
    private func closeMaster(socket: String, host: RemediationHost) async {
        fingerprints[socket] = nil
        guard FileManager.default.fileExists(atPath: socket) else { return }
        _ = await Self.spawn(
            SSHCommand.controlArguments(ssh: sshPath, host: host, controlPath: socket, command: "exit"),
            timeout: .seconds(5))
        unlink(socket)
    }

    /// Runs ssh on a thread of its own: ProcessRun blocks (poll, waitpid), the cooperative pool must not.
    static func spawn(_ argv: [String], timeout: Duration) async -> ProcessRun {
        await withCheckedContinuation { (continuation: CheckedContinuation<ProcessRun, Never>) in
            let thread = Thread {
                continuation.resume(
                    returning: ProcessRun.run(command: argv, environment: SSHCommand.environment, timeout: timeout))
            }
            thread.name = "kiln-ssh"
            thread.start()
        }
    }

    private func micros(_ d: Duration) -> Int64 {
        let (s, a) = d.components
        return s * 1_000_000 + a / 1_000_000_000_000
    }
}
