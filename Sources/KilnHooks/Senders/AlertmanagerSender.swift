import AsyncHTTPClient
import Foundation
import KilnAlarms
import KilnCore
import KilnSQLite

/// `kind: alertmanager`: pushes alerts to Alertmanager's API v2 the way Prometheus does.
///
/// One alert per episode (labels `alertname`, `device`, `tag`, `alarm`, `severity`,
/// `kiln_episode`). An alert fires while its alarm is active (unacknowledged or acknowledged): it
/// is sent with `endsAt` = now + 4 × resend and re-sent every `resend`, from a firing set kept in
/// SQLite so a restart keeps re-sending. Any other state (cleared, shelved, suppressed, out of
/// service) resolves it: `endsAt` = the transition's time. Alertmanager has no acknowledgement:
/// an ack keeps the alert firing and sets its `acknowledged` annotation (silence it in Alertmanager).
public struct AlertmanagerSender: HookResending {
    let hook: String
    let endpoint: String
    let poster: HTTPPoster
    public let resendInterval: Duration

    public init(
        hook: String, url: String, timeout: Duration, resend: Duration, client: HTTPClient = HookHTTPClient.shared
    ) {
        self.hook = hook
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        self.endpoint = base + "/api/v2/alerts"
        self.poster = HTTPPoster(client: client, timeout: timeout)
        self.resendInterval = resend
    }

    static func firing(_ event: AlarmEvent) -> Bool {
        event.transition == .test || event.transition == .escalation || event.state == .activeUnacknowledged
            || event.state == .activeAcknowledged
    }

    /// The alert without `endsAt`.
    static func alert(_ event: AlarmEvent) -> [String: Any] {
        var labels: [String: String] = [
            "alertname": event.name, "alarm": event.alarm, "severity": event.severity.rawValue,
            "kiln_episode": event.episode,
        ]
        if let device = event.device { labels["device"] = device }
        if let tag = event.tag { labels["tag"] = tag }
        var annotations: [String: String] = [
            "summary": event.message, "state": event.state.rawValue, "transition": event.transition.rawValue,
            "acknowledged": event.state == .activeAcknowledged ? "true" : "false",
        ]
        if let value = event.value, value.isFinite { annotations["value"] = "\(value)" }
        if let limit = event.limit, limit.isFinite { annotations["limit"] = "\(limit)" }
        if let status = event.status { annotations["status"] = status }
        if let note = event.note { annotations["note"] = note }
        return [
            "labels": labels, "annotations": annotations,
            "startsAt": Timestamp.rfc3339(micros: event.activeSince ?? event.time),
        ]
    }

    private func post(_ alerts: [[String: Any]], now: Int64) async -> DeliveryOutcome {
        guard let body = try? JSONSerialization.data(withJSONObject: alerts, options: [.sortedKeys]) else {
            return .retry(error: "cannot encode the alerts", retryAfter: nil)
        }
        return await poster.post(
            url: endpoint, headers: [("content-type", "application/json")], body: Array(body), now: now)
    }

    private func endsAt(firing: Bool, event time: Int64, now: Int64) -> String {
        Timestamp.rfc3339(micros: firing ? now + 4 * resendInterval.micros : time)
    }

    public func deliver(_ row: OutboxRow, now: Int64) async -> DeliveryOutcome {
        guard let event = AlarmEvent(json: row.body) else {
            return .retry(error: "outbox row \(row.id) does not hold an alarm event", retryAfter: nil)
        }
        let firing = Self.firing(event)
        var alert = Self.alert(event)
        alert["endsAt"] = endsAt(firing: firing, event: event.time, now: now)
        return await post([alert], now: now)
    }

    public func delivered(_ row: OutboxRow, store: OutboxStore) throws {
        guard let event = AlarmEvent(json: row.body), event.transition != .test else { return }
        if Self.firing(event) {
            let alert = try JSONSerialization.data(withJSONObject: Self.alert(event), options: [.sortedKeys])
            let s = try store.connection.prepare(
                "INSERT OR REPLACE INTO hook_alertmanager_firing (hook, episode, alert) VALUES (?1, ?2, ?3)")
            s.bind(1, hook)
            s.bind(2, event.episode)
            s.bind(3, Array(alert))
            try s.run()
        } else {
            let s = try store.connection.prepare(
                "DELETE FROM hook_alertmanager_firing WHERE hook = ?1 AND episode = ?2")
            s.bind(1, hook)
            s.bind(2, event.episode)
            try s.run()
        }
    }

    public func resend(store: OutboxStore, now: Int64) async throws -> DeliveryOutcome? {
        let s = try store.connection.prepare(
            "SELECT alert FROM hook_alertmanager_firing WHERE hook = ?1 ORDER BY episode")
        s.bind(1, hook)
        var alerts: [[String: Any]] = []
        while try s.step() {
            let bytes = s.withBlob(0) { Data($0) }
            guard var alert = try JSONSerialization.jsonObject(with: bytes) as? [String: Any] else { continue }
            alert["endsAt"] = Timestamp.rfc3339(micros: now + 4 * resendInterval.micros)
            alerts.append(alert)
        }
        guard !alerts.isEmpty else { return nil }
        return await post(alerts, now: now)
    }
}
