/// How remediation acts on a persisted condition (`remediation: { mode: }`).
public enum RemediationMode: String, Sendable, Hashable, CaseIterable {
    /// Runs the command.
    case enforce
    /// Renders the exact command and records it in the audit log; runs nothing.
    case dryRun = "dry-run"
    /// Queues the run until a person approves it (`kiln remediation approve ID`) or rejects it.
    case approve
}

/// One host remediation may act on (`remediation: { hosts: [...] }`), reached with the OpenSSH
/// client and only under its pinned host key.
public struct RemediationHost: Sendable, Hashable {
    /// Unique among the hosts; rules name it.
    public var name: String
    /// A name or address as `ssh` takes it.
    public var address: String
    public var port: Int
    public var user: String
    /// The private key (`IdentitiesOnly=yes`): mode 0600 or stricter, owned by Kiln's user.
    public var identityFile: String
    /// The pinned host keys (`UserKnownHostsFile`, `StrictHostKeyChecking=yes`): an unknown or
    /// changed key is refused. Not writable by group or others.
    public var knownHosts: String
    /// Runs on this host at the same time, across every rule.
    public var maxConcurrent: Int
    /// `ConnectTimeout` (capped by each rule's `timeout`).
    public var connectTimeout: Duration
    public var location: SourceLocation?
    /// Where `identity_file:` and `known_hosts:` are written (their errors point there).
    public var identityLocation: SourceLocation?
    public var knownHostsLocation: SourceLocation?

    public init(
        name: String, address: String, port: Int = 22, user: String, identityFile: String, knownHosts: String,
        maxConcurrent: Int = 1, connectTimeout: Duration = .seconds(10), location: SourceLocation? = nil,
        identityLocation: SourceLocation? = nil, knownHostsLocation: SourceLocation? = nil
    ) {
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.identityFile = identityFile
        self.knownHosts = knownHosts
        self.maxConcurrent = maxConcurrent
        self.connectTimeout = connectTimeout
        self.location = location
        self.identityLocation = identityLocation
        self.knownHostsLocation = knownHostsLocation
    }
}

/// When a rule acts (`when:`): an alarm that has been active for `persists` without a break.
///
/// Any alarm path works: a process alarm (`chiller-1/supply_temp/high`), a tag's sensor alarm
/// (`chiller-1/supply_temp/sensor`: its status Bad) or a device's comm alarm (`chiller-1/comm`).
/// An alarm that is shelved, suppressed or out of service does not count as active.
public struct RemediationTrigger: Sendable, Hashable {
    public var alarm: String
    public var persists: Duration

    public init(alarm: String, persists: Duration) {
        self.alarm = alarm
        self.persists = persists
    }
}

/// What shows a run worked (`verify:`): a Good conditioned sample of `tag` on the right side of
/// the limit, within `within` of the run's end.
public struct RemediationVerify: Sendable, Hashable {
    public enum Condition: Sendable, Hashable {
        case below(Double)
        case above(Double)

        /// Whether `value` satisfies the condition.
        public func holds(_ value: Double) -> Bool {
            switch self {
            case .below(let limit): value < limit
            case .above(let limit): value > limit
            }
        }
    }

    /// `device/tag`.
    public var device: String
    public var tag: String
    public var condition: Condition
    public var within: Duration

    public init(device: String, tag: String, condition: Condition, within: Duration) {
        self.device = device
        self.tag = tag
        self.condition = condition
        self.within = within
    }
}

/// One rule (`remediation: { rules: [...] }`): what to run on which host when a condition persists.
public struct RemediationRule: Sendable, Hashable {
    /// Unique among the rules; `kiln remediation run NAME` takes it.
    public var name: String
    public var trigger: RemediationTrigger
    /// A host's `name`.
    public var host: String
    /// The remote argv; `{device}`, `{tag}`, `{alarm}`, `{value}` and `{episode}` are filled in
    /// per element and each element is quoted for the remote shell. `{{` and `}}` are literal braces.
    public var command: [String]
    /// One run's limit: past it the local `ssh` and its process group are killed.
    public var timeout: Duration
    /// The least time between two runs of this rule on its host (any episode).
    public var cooldown: Duration
    /// Runs per alarm episode, counting the first; a failed one is retried after `retryDelay`,
    /// doubled each time.
    public var maxAttempts: Int
    public var retryDelay: Duration
    /// Whether a run cut short by a crash of Kiln counts as failed and is retried (`true`), or is
    /// only recorded as interrupted (`false`, the default: an unknown outcome is not repeated blindly).
    public var retryInterrupted: Bool
    public var verify: RemediationVerify?
    public var location: SourceLocation?

    public init(
        name: String, trigger: RemediationTrigger, host: String, command: [String], timeout: Duration = .seconds(30),
        cooldown: Duration = .seconds(900), maxAttempts: Int = 1, retryDelay: Duration = .seconds(30),
        retryInterrupted: Bool = false, verify: RemediationVerify? = nil, location: SourceLocation? = nil
    ) {
        self.name = name
        self.trigger = trigger
        self.host = host
        self.command = command
        self.timeout = timeout
        self.cooldown = cooldown
        self.maxAttempts = maxAttempts
        self.retryDelay = retryDelay
        self.retryInterrupted = retryInterrupted
        self.verify = verify
        self.location = location
    }
}

/// `remediation:` in the gateway config.
public struct RemediationConfig: Sendable, Hashable {
    public var mode: RemediationMode
    /// Runs started across every rule within one hour; one more opens the breaker (an alarm,
    /// `kiln/remediation/breaker`), which holds every run back until it closes an hour later.
    public var maxPerHour: Int
    public var hosts: [RemediationHost]
    public var rules: [RemediationRule]
    /// The private 0700 folder of the SSH control sockets (nil: one under /tmp named after Kiln's
    /// user and the historian file).
    public var controlDirectory: String?
    /// How long an idle multiplexed connection stays open (`ControlPersist`).
    public var controlPersist: Duration
    /// The OpenSSH client (nil: `/usr/bin/ssh`).
    public var sshPath: String?
    public var location: SourceLocation?

    public init(
        mode: RemediationMode = .enforce, maxPerHour: Int = 6, hosts: [RemediationHost] = [],
        rules: [RemediationRule] = [], controlDirectory: String? = nil, controlPersist: Duration = .seconds(600),
        sshPath: String? = nil, location: SourceLocation? = nil
    ) {
        self.mode = mode
        self.maxPerHour = maxPerHour
        self.hosts = hosts
        self.rules = rules
        self.controlDirectory = controlDirectory
        self.controlPersist = controlPersist
        self.sshPath = sshPath
        self.location = location
    }

    /// The host a rule names.
    public func host(named name: String) -> RemediationHost? { hosts.first { $0.name == name } }
}
