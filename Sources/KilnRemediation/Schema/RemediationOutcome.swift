/// Where a run stands in the queue (`remediation_runs.state`).
public enum RunState: String, Sendable, Hashable, CaseIterable {
    /// `mode: approve`: waits for `kiln remediation approve ID` or `reject ID`.
    case awaitingApproval = "awaiting_approval"
    /// Due at `due` (cooldown, back-off), when a slot on its host and the breaker allow.
    case queued
    /// Committed before `ssh` is spawned.
    case running
    /// Succeeded; its rule's `verify` condition is being watched until `verify_until`.
    case verifying
    case done
}

/// What an audit entry records, and how a run ended (`remediation_runs.outcome`).
public enum RemediationOutcome: String, Sendable, Hashable, CaseIterable {
    /// The remote command exited 0 (and there is nothing to verify, or verifying starts).
    case succeeded
    /// It exited non-zero, or `ssh` could not connect or authenticate.
    case failed
    /// It passed its rule's `timeout`; `ssh` and its process group were killed.
    case timedOut = "timed_out"
    /// The host offered a key that is not the pinned one; nothing ran.
    case refusedHostKey = "refused_host_key"
    /// `mode: dry-run`: rendered and recorded, not run.
    case dryRun = "dry_run"
    /// A person approved a waiting run.
    case approved
    /// A person rejected a waiting run.
    case rejected
    /// The alarm's episode ended before the run could start (waiting for approval, cooldown or
    /// the breaker).
    case cancelled
    /// Kiln stopped or crashed while it ran: its effect is unknown.
    case interrupted
    /// The verify condition held within its time.
    case verified
    /// The verify condition did not hold within its time: escalated through the hooks.
    case ineffective
    /// More than `max_per_hour` runs: every run is held for an hour.
    case breakerOpened = "breaker_opened"
    case breakerClosed = "breaker_closed"

    /// Whether a run that ended so may be tried again (within `max_attempts`).
    public var isRetryable: Bool { self == .failed || self == .timedOut }
}
