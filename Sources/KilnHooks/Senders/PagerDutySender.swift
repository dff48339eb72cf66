import AsyncHTTPClient
import Foundation
import KilnAlarms
import KilnCore

/// `kind: pagerduty`: PagerDuty Events API v2. The routing key is the hook's secret, the dedup key
/// the episode, so an episode's trigger, acknowledge and resolve act on one incident.
public struct PagerDutySender: HookTransport {
    public static let defaultURL = "https://events.pagerduty.com/v2/enqueue"
    let url: String
    let routingKey: String
    let poster: HTTPPoster

    public init(url: String?, routingKey: String, timeout: Duration, client: HTTPClient = HookHTTPClient.shared) {
        self.url = url ?? Self.defaultURL
        self.routingKey = routingKey
        self.poster = HTTPPoster(client: client, timeout: timeout)
    }

    /// trigger while the alarm is active (and for test and escalation events), acknowledge on an
    /// operator's ack, resolve otherwise (cleared, shelved, suppressed, out of service: Kiln
    /// withholds notification of those, so the incident closes).
    public static func action(_ event: AlarmEvent) -> String {
        switch event.transition {
        case .test, .escalation: return "trigger"
        case .acknowledged: return "acknowledge"
        default:
            return event.state == .activeUnacknowledged || event.state == .activeAcknowledged ? "trigger" : "resolve"
        }
    }

    /// Kiln's severities in PagerDuty's four.
    public static func severity(_ severity: AlarmSeverity) -> String {
        switch severity {
        case .critical: return "critical"
        case .major: return "error"
        case .minor, .warning: return "warning"
        case .info: return "info"
        }
    }

    /// The Events API v2 body for `body` (an event's JSON); nil when it is not an event.
    public func payload(_ body: [UInt8]) -> [UInt8]? {
        guard let event = AlarmEvent(json: body),
            let details = try? JSONSerialization.jsonObject(with: Data(body))
        else { return nil }
        var payload: [String: Any] = [
            "summary": String(event.message.prefix(1024)),
            "source": event.device ?? "kiln",
            "severity": Self.severity(event.severity),
            "timestamp": Timestamp.rfc3339(micros: event.time),
            "class": event.kind.rawValue,
            "custom_details": details,
        ]
        if let tag = event.tag { payload["component"] = tag }
        if let device = event.device { payload["group"] = device }
        let object: [String: Any] = [
            "routing_key": routingKey, "event_action": Self.action(event), "dedup_key": event.episode,
            "payload": payload, "client": "Kiln",
        ]
        return try? Array(JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    public func deliver(_ row: OutboxRow, now: Int64) async -> DeliveryOutcome {
        guard let body = payload(row.body) else {
            return .retry(error: "outbox row \(row.id) does not hold an alarm event", retryAfter: nil)
        }
        return await poster.post(url: url, headers: [("content-type", "application/json")], body: body, now: now)
    }
}
