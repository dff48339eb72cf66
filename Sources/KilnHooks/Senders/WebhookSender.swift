import AsyncHTTPClient
import KilnCore

/// `kind: webhook`: POSTs the event JSON (the stored bytes, unchanged) with Standard Webhooks
/// headers; signed when the hook has a secret.
public struct WebhookSender: HookTransport {
    let url: String
    let key: [UInt8]?
    let poster: HTTPPoster

    /// - Parameters:
    ///   - key: the signing key (``SecretReader/webhookKey(_:)``); nil sends no signature.
    public init(url: String, key: [UInt8]?, timeout: Duration, client: HTTPClient = HookHTTPClient.shared) {
        self.url = url
        self.key = key
        self.poster = HTTPPoster(client: client, timeout: timeout)
    }

    public func deliver(_ row: OutboxRow, now: Int64) async -> DeliveryOutcome {
        let timestamp = now / 1_000_000
        var headers = [
            ("content-type", "application/json"), ("webhook-id", row.event), ("webhook-timestamp", "\(timestamp)"),
        ]
        if let key {
            headers.append(
                (
                    "webhook-signature",
                    StandardWebhooks.signature(key: key, id: row.event, timestamp: timestamp, body: row.body)
                ))
        }
        return await poster.post(url: url, headers: headers, body: row.body, now: now)
    }
}
