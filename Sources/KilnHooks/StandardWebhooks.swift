import KilnCrypto

/// Standard Webhooks signatures (https://www.standardwebhooks.com): `v1,` + base64 of
/// HMAC-SHA256(key, "id.timestamp.body").
public enum StandardWebhooks {
    /// The `webhook-signature` header value.
    ///
    /// - Parameters:
    ///   - key: the signing key (``SecretReader/webhookKey(_:)`` of the secret).
    ///   - id: the `webhook-id` (the event id).
    ///   - timestamp: the `webhook-timestamp`, Unix seconds.
    ///   - body: the exact bytes sent.
    public static func signature(key: [UInt8], id: String, timestamp: Int64, body: [UInt8]) -> String {
        var message = Array("\(id).\(timestamp).".utf8)
        message += body
        return "v1," + Base64.encode(Digest.hmacSHA256(key: key, message: message))
    }
}
