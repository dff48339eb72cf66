import Foundation
import Testing

@testable import KilnRemediation

/// Reading ssh's debug log: the offered key, a refusal, a multiplexed session.
@Suite struct SSHLogTests {
    @Test func aFreshConnectionGivesTheOfferedKey() {
        let log = SSHLog(
            """
            OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.22 25 Aug 2026
            debug1: Connecting to 127.0.0.1 [127.0.0.1] port 26220.
            debug1: Server host key: ssh-ed25519 SHA256:vlL3OSOjCOHSrsekWedr3cDX8yNP7kh347hp+PfUDY0
            debug1: Host '[127.0.0.1]:26220' is known and matches the ED25519 host key.
            Authenticated to 127.0.0.1 ([127.0.0.1]:26220) using "publickey".
            debug1: mux_client_request_session: master session id: 2
            Transferred: sent 3472, received 3292 bytes, in 0.2 seconds

            """)
        #expect(log.offeredFingerprint == "SHA256:vlL3OSOjCOHSrsekWedr3cDX8yNP7kh347hp+PfUDY0")
        #expect(log.offeredKeyType == "ssh-ed25519")
        #expect(log.hostKeyProblem == nil)
        #expect(!log.multiplexed)
        #expect(log.lastMessage == nil)
    }

    @Test func aChangedKeyAndAnUnknownKeyAreRefusals() {
        let changed = SSHLog(
            """
            debug1: Server host key: ssh-ed25519 SHA256:AAAA
            @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
            @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
            Host key for [127.0.0.1]:22022 has changed and you have requested strict checking.
            Host key verification failed.
            """)
        #expect(changed.hostKeyProblem == "changed")
        #expect(changed.offeredFingerprint == "SHA256:AAAA")
        let unknown = SSHLog(
            """
            debug1: Server host key: ssh-ed25519 SHA256:BBBB
            No ED25519 host key is known for [127.0.0.1]:22022 and you have requested strict checking.
            Host key verification failed.
            """)
        #expect(unknown.hostKeyProblem == "unknown")
        #expect(unknown.offeredFingerprint == "SHA256:BBBB")
        let refused = SSHLog("ssh: connect to host 127.0.0.1 port 1: Connection refused\n")
        #expect(refused.hostKeyProblem == nil)
        #expect(refused.lastMessage == "ssh: connect to host 127.0.0.1 port 1: Connection refused")
    }

    @Test func aMuxSessionWithoutKeyExchangeIsMultiplexed() {
        let log = SSHLog(
            """
            debug1: auto-mux: Trying existing master
            debug1: mux_client_request_session: master session id: 4
            """)
        #expect(log.multiplexed)
        #expect(log.offeredFingerprint == nil)
    }

    @Test func linesEndingInCRLFAreRead() {
        // ssh writes its -E log with CRLF line ends.
        let log = SSHLog(
            "debug1: Connecting to 127.0.0.1 port 2.\r\ndebug1: Server host key: ssh-ed25519 SHA256:CCCC\r\nHost key verification failed.\r\n"
        )
        #expect(log.offeredFingerprint == "SHA256:CCCC")
        #expect(log.hostKeyProblem == "unknown")
    }
}
