import KilnAlarms

/// What the engine knows of one alarm a rule watches: its episode, whether it is active, since
/// when, and the last value that decided anything.
struct AlarmCondition: Sendable, Hashable {
    var episode: String?
    /// Active unacknowledged or active acknowledged: not shelved, suppressed, out of service,
    /// returned or normal.
    var active: Bool
    var activeSince: Int64?
    var device: String?
    var tag: String?
    var value: Double?
    /// When it last changed (µs): the newer of an event and the runner's snapshot wins.
    var time: Int64

    static func isActive(_ state: AlarmState) -> Bool {
        state == .activeUnacknowledged || state == .activeAcknowledged
    }
}

/// The alarms the rules name, kept from the alarm runner's committed events, and reconciled with
/// its snapshot (`AlarmRunner.list()`) at start and at each rescan, so an event committed
/// before the observer was added is not missed.
struct AlarmConditions {
    private(set) var byPath: [String: AlarmCondition] = [:]
    let paths: Set<String>

    init(paths: Set<String>) { self.paths = paths }

    subscript(path: String) -> AlarmCondition? { byPath[path] }

    /// Whether `path` is active in `episode` right now.
    func isActive(_ path: String, episode: String) -> Bool {
        guard let c = byPath[path] else { return false }
        return c.active && c.episode == episode
    }

    mutating func apply(_ e: AlarmEvent) {
        guard paths.contains(e.alarm) else { return }
        let old = byPath[e.alarm]
        let sameEpisode = old?.episode == e.episode
        byPath[e.alarm] = AlarmCondition(
            episode: e.episode, active: AlarmCondition.isActive(e.state),
            activeSince: e.activeSince ?? (sameEpisode ? old?.activeSince : nil), device: e.device, tag: e.tag,
            value: e.value ?? (sameEpisode ? old?.value : nil), time: e.time)
    }

    mutating func reconcile(_ records: [AlarmRecord]) {
        for r in records where paths.contains(r.path) {
            if let known = byPath[r.path], known.time >= r.updated { continue }
            byPath[r.path] = AlarmCondition(
                episode: r.episode, active: AlarmCondition.isActive(r.state), activeSince: r.activeSince,
                device: r.device, tag: r.tag, value: r.value, time: r.updated)
        }
    }
}
