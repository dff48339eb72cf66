import Foundation
import KilnConfig
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

/// `kiln check` (`HookSecrets`) and the reader at delivery (`SecretReader`) judge a secret file
/// by the one judgement (`SecretFile`): a symbolic link to a good key passes both, a link to a
/// loose or foreign one fails both, with the same words.
@Suite struct SecretJudgementAgreementTests {
    private static func checked(_ path: String) -> String? { HookSecrets.problem(.file(path)) }

    private static func read(_ path: String) -> String? {
        do {
            _ = try SecretReader.read(.file(path))
            return nil
        } catch {
            return error.message
        }
    }

    @Test func aSymbolicLinkIsJudgedAlikeByCheckAndByTheReader() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let target = try dir.write("real.key", "whsec_c2VjcmV0\n")
        let link = dir.file("link.key")
        #expect(symlink(target, link) == 0)
        chmod(target, 0o600)
        #expect(Self.checked(link) == nil)
        #expect(Self.read(link) == nil)
        #expect(try SecretReader.read(.file(link)) == Array("whsec_c2VjcmV0".utf8))
        chmod(target, 0o644)
        let loose = try #require(Self.checked(link))
        #expect(loose.contains("has mode 0644, must be 0600"))
        #expect(Self.read(link) == loose)
        chmod(target, 0o600)
        try #require(getuid() != 1)
        #expect(chown(target, 1, 1) == 0)
        let foreign = try #require(Self.checked(link))
        #expect(foreign.contains("is owned by uid 1"))
        #expect(Self.read(link) == foreign)
    }

    @Test func theEnvironmentIsOneLookup() throws {
        let name = "KILN_TEST_AGREEMENT_\(getpid())"
        setenv(name, "value", 1)
        defer { unsetenv(name) }
        #expect(ProcessEnvironment.value(name) == "value")
        #expect(SecretReader.currentEnvironment()[name] == "value")
        #expect(HookSecrets.problem(.environment(name)) == nil)
        #expect(try SecretReader.read(.environment(name)) == Array("value".utf8))
    }
}
