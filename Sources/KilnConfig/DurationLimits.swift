import KilnCore

/// The durations each setting accepts. Every duration in a map is bounded, so that the poller's
/// and the historian's arithmetic on deadlines (nanoseconds and microseconds in 64 bits, added to
/// the clock) cannot overflow, and so that a slip of the keyboard (`poll: 10000000000s`) is an
/// error rather than a gateway that never polls.
enum DurationLimits {
    /// A scan period: from 1ms to a day.
    static let poll: ClosedRange<Duration> = .milliseconds(1)...(.seconds(86_400))
    /// How long to wait for a connection or a reply.
    static let timeout: ClosedRange<Duration> = .milliseconds(1)...(.seconds(3_600))
    /// How often the historian commits.
    static let flush: ClosedRange<Duration> = .milliseconds(1)...(.seconds(3_600))
    /// How long data is kept (raw window, retention): up to 100 years.
    static let keep: ClosedRange<Duration> = .milliseconds(1)...(.seconds(36_500 * 86_400))
    /// Signal time constants, stuck windows and storage intervals: up to 30 days.
    static let signal: ClosedRange<Duration> = .milliseconds(1)...(.seconds(30 * 86_400))
    /// Simulated fault schedules (`at`, `for`, `every`): up to a year.
    static let schedule: ClosedRange<Duration> = .milliseconds(1)...(.seconds(365 * 86_400))
    /// A fault's start may also be zero.
    static let start: ClosedRange<Duration> = .zero...(.seconds(365 * 86_400))
    /// How long a gateway may take to stop (drain, flush) before it gives up: up to an hour.
    static let shutdown: ClosedRange<Duration> = .milliseconds(1)...(.seconds(3_600))
    /// A simulated slow reply.
    static let delay: ClosedRange<Duration> = .milliseconds(1)...(.seconds(3_600))

    /// An alarm's on-delay and off-delay: zero (the default) up to a day.
    static let alarmDelay: ClosedRange<Duration> = .zero...(.seconds(86_400))
    /// An alarm's `predict` horizon: up to a day ahead.
    static let predict: ClosedRange<Duration> = .seconds(1)...(.seconds(86_400))
    /// Chattering and flood windows: a second to a day.
    static let alarmWindow: ClosedRange<Duration> = .seconds(1)...(.seconds(86_400))
    /// The longest shelve the gateway allows: a minute to 7 days (ISA-18.2 wants shelving bounded).
    static let maxShelve: ClosedRange<Duration> = .seconds(60)...(.seconds(7 * 86_400))
    /// One hook delivery attempt (an exec's whole run): up to 10 minutes.
    static let hookTimeout: ClosedRange<Duration> = .milliseconds(1)...(.seconds(600))
    /// How long an undelivered event is retried before it goes to the dead letters: a minute to 30 days.
    static let hookMaxAge: ClosedRange<Duration> = .seconds(60)...(.seconds(30 * 86_400))
    /// How often Alertmanager hears a firing alert again: a second to an hour.
    static let resend: ClosedRange<Duration> = .seconds(1)...(.seconds(3_600))

    /// `from 1ms to 1d`.
    static func describe(_ range: ClosedRange<Duration>) -> String {
        let low = range.lowerBound == .zero ? "0s" : DurationText.format(range.lowerBound)
        return "from \(low) to \(DurationText.format(range.upperBound))"
    }
}
