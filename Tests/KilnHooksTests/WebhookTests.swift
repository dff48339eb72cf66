import AsyncHTTPClient
import Foundation
import KilnAlarms
import KilnCore
import KilnCrypto
import KilnHooks
import KilnSQLite
import KilnTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.serialized) struct WebhookTests {
    static let secret = "whsec_" + Base64.encode(Array("a 32-byte signing key for tests!".utf8))

    func secretFile(_ dir: TempDir) throws -> String {
        let path = try dir.write("secret", Self.secret + "\n")
        chmod(path, 0o600)
        return path
    }

    @Test func signedDeliveriesVerifyWithAnIndependentHMACAndATamperedBodyFails() async throws {
        let port = try freePort()
        let outbox = try Outbox(hooks: [
            HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(port)/kiln", secret: .environment("K"))
        ])
        defer { outbox.dir.cleanup() }
        let log = outbox.dir.file("log.jsonl")
        let receiver = try await Peer.receiver(port: port, log: log, extra: ["--secret", Self.secret])
        defer { receiver.stop() }
        try outbox.enqueue((1...3).map { event(seq: $0) })
        let service = try HookDeliveryService(
            hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
            settings: quick, environment: ["K": Self.secret])
        let task = start(service)
        try await waitUntil("3 deliveries") {
            try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'delivered'") == 3
        }
        task.cancel()
        await task.value
        let got = records(log)
        #expect(got.map { $0["verified"] as? Bool } == [true, true, true])
        #expect(got.map { $0["id"] as? String } == ["evt_ep1_1", "evt_ep1_2", "evt_ep1_3"])
        // The body is exactly the stored event JSON.
        let stored = try outbox.connection().prepare("SELECT body FROM hook_outbox WHERE event = 'evt_ep1_1'")
        #expect(try stored.step())
        #expect(got.first?["body"] as? String == stored.withBlob(0) { String(decoding: $0, as: UTF8.self) })
        #expect(try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'delivered'") == 3)

        // The receiver's check is real: the signature Kiln computes passes, a tampered body does
        // not, nor a signature made with another key.
        let body = event(seq: 9).json()
        let key = SecretReader.webhookKey(Array(Self.secret.utf8))
        let ts = Int64(Date().timeIntervalSince1970)
        let signature = StandardWebhooks.signature(key: key, id: "evt_x", timestamp: ts, body: body)
        func post(_ body: [UInt8], signature: String) async throws -> Int {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/kiln")
            request.method = .POST
            request.headers.add(name: "webhook-id", value: "evt_x")
            request.headers.add(name: "webhook-timestamp", value: "\(ts)")
            request.headers.add(name: "webhook-signature", value: signature)
            request.body = .bytes(body)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            return Int(response.status.code)
        }
        #expect(try await post(body, signature: signature) == 200)
        var tampered = body
        tampered[tampered.count / 2] ^= 0x01
        #expect(try await post(tampered, signature: signature) == 401)
        let other = StandardWebhooks.signature(key: Array("another key".utf8), id: "evt_x", timestamp: ts, body: body)
        #expect(try await post(body, signature: other) == 401)
    }

    @Test func anUnsignedHookSendsNoSignature() async throws {
        let port = try freePort()
        let outbox = try Outbox(hooks: [HookConfig(name: "plain", kind: .webhook, url: "http://127.0.0.1:\(port)/")])
        defer { outbox.dir.cleanup() }
        let log = outbox.dir.file("log.jsonl")
        let receiver = try await Peer.receiver(port: port, log: log)
        defer { receiver.stop() }
        try outbox.enqueue([event()])
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                settings: quick))
        try await waitUntil("a delivery") { records(log).count >= 1 }
        task.cancel()
        await task.value
        #expect(records(log).first?["verified"] == nil)
        #expect(records(log).first?["id"] as? String == "evt_ep1_1")
    }
}
