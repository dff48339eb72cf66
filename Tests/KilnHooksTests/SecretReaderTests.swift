import Foundation
import KilnCore
import KilnCrypto
import KilnHooks
import KilnTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SecretReaderTests {
    @Test func environmentSecretsMustBeSetAndNonEmpty() throws {
        #expect(try SecretReader.read(.environment("S"), environment: ["S": "abc"]) == Array("abc".utf8))
        #expect(throws: HookError.self) { try SecretReader.read(.environment("S"), environment: [:]) }
        do {
            _ = try SecretReader.read(.environment("S"), environment: ["S": ""])
            Issue.record("an empty secret was taken")
        } catch {
            #expect(error.message.contains("S is empty"))
        }
    }

    @Test func aFileReadableByOthersIsRefusedNamingItsMode() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = try dir.write("secret", "whsec_c2VjcmV0\n")
        chmod(path, 0o644)
        do {
            _ = try SecretReader.read(.file(path))
            Issue.record("a 0644 secret file was taken")
        } catch {
            #expect(error.message.contains(path))
            #expect(error.message.contains("0644"))
        }
        chmod(path, 0o600)
        #expect(try SecretReader.read(.file(path)) == Array("whsec_c2VjcmV0".utf8))
        chmod(path, 0o400)
        #expect(try SecretReader.read(.file(path)) == Array("whsec_c2VjcmV0".utf8))
        #expect(throws: HookError.self) { try SecretReader.read(.file(dir.path)) }
        #expect(throws: HookError.self) { try SecretReader.read(.file(dir.file("missing"))) }
    }

    @Test func whsecSecretsDecodeToTheirKeyOthersAreRawBytes() {
        #expect(SecretReader.webhookKey(Array("whsec_c2VjcmV0".utf8)) == Array("secret".utf8))
        #expect(SecretReader.webhookKey(Array("plain secret".utf8)) == Array("plain secret".utf8))
        #expect(SecretReader.webhookKey(Array("whsec_!!notbase64".utf8)) == Array("whsec_!!notbase64".utf8))
    }

    @Test func theSignatureMatchesTheStandardWebhooksExample() {
        // The example of the Standard Webhooks reference libraries (svix): key, id, timestamp,
        // payload and the signature they publish.
        let key = SecretReader.webhookKey(Array("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".utf8))
        let signature = StandardWebhooks.signature(
            key: key, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
            body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }
}
