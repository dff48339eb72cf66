#if canImport(Glibc)
    import Glibc
#endif

/// What happened to an alarm, as events and hook filters name it.
public enum AlarmTransition: String, Sendable, Hashable, CaseIterable {
    /// The condition held (past its on-delay): normal or returned → active, unacknowledged.
    case activated
    /// The condition went away (past its off-delay): active → returned (or normal when acknowledged).
    case cleared
    case acknowledged
    case shelved
    /// Unshelved by an operator, or a shelve that expired.
    case unshelved
    /// Suppressed by design: the tag's sensor or its device went Bad.
    case suppressed
    case unsuppressed
    case outOfService = "out_of_service"
    case inService = "in_service"
    /// `kiln hooks test`.
    case test
    /// Raised by remediation when a fix did not work.
    case escalation
}

/// Where a secret comes from; never the config file itself.
public enum SecretSource: Sendable, Hashable {
    /// `secret_env: NAME`.
    case environment(String)
    /// `secret_file: PATH`: a regular file of mode 0600 (or stricter), else Kiln refuses to start.
    case file(String)
}

/// How a hook delivers: `kind:` of a hook.
public enum HookKind: String, Sendable, Hashable, CaseIterable {
    /// Kiln's own JSON event, signed per Standard Webhooks.
    case webhook
    /// Prometheus Alertmanager's API v2.
    case alertmanager
    /// PagerDuty Events API v2.
    case pagerduty
    /// A local program, the event JSON on its stdin.
    case exec
}

/// Which events a hook takes.
public struct HookFilter: Sendable, Hashable {
    public var minSeverity: AlarmSeverity
    /// Globs (fnmatch) on the device name; empty takes every device.
    public var devices: [String]
    /// Globs (fnmatch) on the tag name; empty takes every tag. A device's `comm` alarm has no tag:
    /// a hook with tag globs does not take it.
    public var tags: [String]
    /// The transitions taken; nil takes every one but ``quietByDefault``.
    public var transitions: Set<AlarmTransition>?

    /// What a hook without `transitions:` is not sent: suppression by design is visible (in
    /// `kiln alarms list` and the history) but not notified (ISA-18.2); a hook that wants those
    /// events names them.
    public static let quietByDefault: Set<AlarmTransition> = [.suppressed, .unsuppressed]

    public init(
        minSeverity: AlarmSeverity = .info, devices: [String] = [], tags: [String] = [],
        transitions: Set<AlarmTransition>? = nil
    ) {
        self.minSeverity = minSeverity
        self.devices = devices
        self.tags = tags
        self.transitions = transitions
    }

    /// Whether an event of this alarm and transition passes the filter. `test` events pass every
    /// filter (`kiln hooks test NAME` sends one to the hook named).
    public func admits(severity: AlarmSeverity, device: String?, tag: String?, transition: AlarmTransition) -> Bool {
        if transition == .test { return true }
        guard severity >= minSeverity else { return false }
        if let transitions {
            guard transitions.contains(transition) else { return false }
        } else if HookFilter.quietByDefault.contains(transition) {
            return false
        }
        if !devices.isEmpty {
            guard let device, devices.contains(where: { HookFilter.glob($0, matches: device) }) else { return false }
        }
        if !tags.isEmpty {
            guard let tag, tags.contains(where: { HookFilter.glob($0, matches: tag) }) else { return false }
        }
        return true
    }

    /// Shell-style globbing (`*`, `?`, `[...]`), as fnmatch(3) without flags.
    public static func glob(_ pattern: String, matches name: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }
}

/// One hook of the gateway config (`hooks:`): where alarm transitions go.
public struct HookConfig: Sendable, Hashable {
    /// Unique among the gateway's hooks; names its outbox and its metrics.
    public var name: String
    public var kind: HookKind
    /// webhook: the receiver; alertmanager: Alertmanager's base URL (Kiln posts to
    /// `/api/v2/alerts` under it); pagerduty: the Events API v2 endpoint
    /// (default `https://events.pagerduty.com/v2/enqueue`). nil for exec.
    public var url: String?
    /// exec: the program and its arguments (no shell).
    public var command: [String]
    /// webhook: the signing secret (`whsec_` + base64, or raw bytes); pagerduty: the routing key.
    public var secret: SecretSource?
    public var filter: HookFilter
    /// One delivery attempt's limit (an exec's run: its process group is killed past it).
    public var timeout: Duration
    /// An event undelivered this long goes to the dead letters.
    public var maxAge: Duration
    /// alertmanager: how often firing alerts are re-sent (their `endsAt` is set past
    /// a few of these, so Alertmanager resolves them only if Kiln stops).
    public var resend: Duration
    public var location: SourceLocation?
    /// Where `secret_env:` or `secret_file:` is written: where a missing secret is reported.
    public var secretLocation: SourceLocation?

    public init(
        name: String, kind: HookKind, url: String? = nil, command: [String] = [], secret: SecretSource? = nil,
        filter: HookFilter = HookFilter(), timeout: Duration = .seconds(10), maxAge: Duration = .seconds(86_400),
        resend: Duration = .seconds(60), location: SourceLocation? = nil, secretLocation: SourceLocation? = nil
    ) {
        self.name = name
        self.kind = kind
        self.url = url
        self.command = command
        self.secret = secret
        self.filter = filter
        self.timeout = timeout
        self.maxAge = maxAge
        self.resend = resend
        self.location = location
        self.secretLocation = secretLocation
    }
}
