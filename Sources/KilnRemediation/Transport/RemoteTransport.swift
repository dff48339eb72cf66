import KilnCore
// CapturedOutput lives in KilnProcess (the exec hooks capture output too); re-exported so every
// user of KilnRemediation sees it, default arguments included, without importing KilnProcess.
@_exported import KilnProcess

/// One run handed to a transport: the rendered remote argv (not yet quoted) for a host.
public struct RemoteRun: Sendable, Hashable {
    /// `remediation_runs.id` (names the run's log file).
    public var id: Int64
    public var host: RemediationHost
    public var argv: [String]
    public var timeout: Duration

    public init(id: Int64, host: RemediationHost, argv: [String], timeout: Duration) {
        self.id = id
        self.host = host
        self.argv = argv
        self.timeout = timeout
    }
}

/// What a transport reports about one run.
public struct RemoteRunResult: Sendable, Hashable {
    /// One of succeeded, failed, timedOut, refusedHostKey.
    public var outcome: RemediationOutcome
    /// µs since the Unix epoch: when `ssh` was spawned, and when it was done.
    public var started: Int64
    public var ended: Int64
    /// The remote command's exit status (nil when killed, timed out or never run).
    public var exitCode: Int32?
    /// The host key seen (`SHA256:...`); for a refused key, the one offered.
    public var fingerprint: String?
    public var stdout: CapturedOutput
    public var stderr: CapturedOutput
    /// For people: why it failed (`Connection refused`, `host key for chiller-ctl changed`).
    public var detail: String?
    /// The run went over an existing multiplexed connection.
    public var multiplexed: Bool

    public init(
        outcome: RemediationOutcome, started: Int64, ended: Int64, exitCode: Int32? = nil, fingerprint: String? = nil,
        stdout: CapturedOutput = CapturedOutput(), stderr: CapturedOutput = CapturedOutput(), detail: String? = nil,
        multiplexed: Bool = false
    ) {
        self.outcome = outcome
        self.started = started
        self.ended = ended
        self.exitCode = exitCode
        self.fingerprint = fingerprint
        self.stdout = stdout
        self.stderr = stderr
        self.detail = detail
        self.multiplexed = multiplexed
    }
}

/// Runs a remote command: the OpenSSH client in the product (`SSHTransport`), a recording fake
/// in the engine's unit tests.
public protocol RemoteTransport: Sendable {
    /// Runs it to the end or its timeout; never throws (a failure is a result).
    func run(_ run: RemoteRun) async -> RemoteRunResult
    /// Closes multiplexed connections (at the gateway's stop).
    func shutdown() async
}
