import Foundation
import KilnCore
import KilnProcess
import KilnRemediation
import KilnTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A short private control folder for one test (socket paths must stay under 108 bytes).
func controlFolder() -> String {
    "/tmp/kst-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
}

/// The host entry for a test sshd, with the server's pinned known_hosts unless told otherwise.
func host(_ server: SSHServer, knownHosts: String? = nil, name: String = "test-host") -> RemediationHost {
    RemediationHost(
        name: name, address: "127.0.0.1", port: server.port, user: server.user, identityFile: server.clientKey,
        knownHosts: knownHosts ?? server.knownHosts, connectTimeout: .seconds(10))
}

/// A test peer script of tools/testpeers.
func testPeer(_ name: String, file: String = #filePath) -> String {
    var root = URL(fileURLWithPath: file)
    for _ in 0..<3 { root.deleteLastPathComponent() }
    return root.path + "/tools/testpeers/" + name
}

/// Runs `body` with an SSH transport on a fresh control folder, then shuts it down and removes
/// the folder (and the server) whatever happens.
func withTransport<T>(
    _ server: SSHServer, _ body: (SSHTransport, String) async throws -> T
) async throws -> T {
    let folder = controlFolder()
    let transport = try SSHTransport(controlDirectory: folder)
    do {
        let value = try await body(transport, folder)
        await transport.shutdown()
        try? FileManager.default.removeItem(atPath: folder)
        return value
    } catch {
        await transport.shutdown()
        try? FileManager.default.removeItem(atPath: folder)
        throw error
    }
}

/// The pid of the master behind `socket` (`ssh -O check` prints `Master running (pid=N)`).
func masterPID(socket: String, host: RemediationHost) -> Int32? {
    let r = ProcessRun.run(
        command: [
            "/usr/bin/ssh", "-F", "/dev/null", "-o", "ControlPath=\(socket)", "-O", "check", "-p", String(host.port),
            "-l", host.user, host.address,
        ], environment: ["PATH=/usr/bin:/bin"], timeout: .seconds(10))
    let text = r.stderr.text + r.stdout.text
    guard let range = text.range(of: "pid=") else { return nil }
    return Int32(text[range.upperBound...].prefix { $0.isNumber })
}
