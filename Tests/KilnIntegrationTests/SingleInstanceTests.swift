import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `pid_file` lock of `kiln run`, with the real binary: one gateway per config.
struct SingleInstanceTests {
    /// A second `kiln run` of the same config exits 1 naming the first one's PID, without
    /// touching its lock; the first runs on and stops cleanly.
    @Test func aSecondInstanceIsRefusedNamingTheFirstOnesPID() throws {
        let rig = try ServiceRig()
        defer { rig.stop() }
        // The default: kiln.pid in the historian's folder.
        let pidFile = rig.directory.path + "/kiln.pid"
        // READY=1 says the first one runs (its signal handlers in place, so SIGTERM stops it cleanly).
        let socket = try NotifySocket(name: rig.directory.path + "/notify.sock")
        defer { socket.close() }
        let first = try rig.gateway(environment: ["NOTIFY_SOCKET": socket.name])
        defer { first.stop() }
        try #require(rig.waitForPIDFile(pidFile, pid: first.pid), Comment(rawValue: first.stderr.text))
        try #require(socket.waitFor("READY=1", timeout: .seconds(60)) != nil, Comment(rawValue: first.stderr.text))

        let second = try KilnCLI.run(["run", rig.config, "--quiet"], timeout: .seconds(60))
        #expect(second.exitCode == 1, Comment(rawValue: second.description))
        #expect(
            second.stderr.contains(
                "error: another kiln run (PID \(first.pid)) already runs this gateway: it holds the lock on "
                    + "pid_file '\(pidFile)'"),
            Comment(rawValue: second.description))
        #expect(!second.stderr.contains("polling"), Comment(rawValue: second.description))
        #expect((try? String(contentsOfFile: pidFile, encoding: .utf8)) == "\(first.pid)\n")
        #expect(first.exitStatus == nil, "the first instance still runs")
        #expect(first.stop(grace: .seconds(30)) == .exited(0), Comment(rawValue: first.stderr.text))
    }

    /// A pid file left by a gateway killed with SIGKILL (its lock gone with it) does not keep
    /// the next one from starting, which writes its own PID.
    @Test func aStalePIDFileFromAKilledRunDoesNotBlockAStart() throws {
        let rig = try ServiceRig(extra: "pid_file: run/gateway.pid")
        defer { rig.stop() }
        try FileManager.default.createDirectory(atPath: rig.directory.path + "/run", withIntermediateDirectories: true)
        let pidFile = rig.directory.path + "/run/gateway.pid"
        let crashed = try rig.gateway()
        try #require(rig.waitForPIDFile(pidFile, pid: crashed.pid), Comment(rawValue: crashed.stderr.text))
        crashed.signal(SIGKILL)
        #expect(crashed.wait(timeout: .seconds(10)) == .signaled(SIGKILL))
        #expect((try? String(contentsOfFile: pidFile, encoding: .utf8)) == "\(crashed.pid)\n", "the stale file stays")

        let socket = try NotifySocket(name: rig.directory.path + "/notify.sock")
        defer { socket.close() }
        let next = try rig.gateway(environment: ["NOTIFY_SOCKET": socket.name])
        defer { next.stop() }
        #expect(rig.waitForPIDFile(pidFile, pid: next.pid), Comment(rawValue: next.stderr.text))
        // It got past the lock to polling: READY=1, and it did not exit.
        #expect(socket.waitFor("READY=1", timeout: .seconds(60)) != nil, Comment(rawValue: next.stderr.text))
        #expect(next.exitStatus == nil, Comment(rawValue: next.stderr.text))
        #expect(next.stop(grace: .seconds(30)) == .exited(0), Comment(rawValue: next.stderr.text))
    }

    /// A pid_file that cannot be a lock is a clear error and exit 1, before the historian opens.
    @Test(arguments: [
        ("missing/kiln.pid", "pid_file folder '%DIR%/missing' does not exist; create it or change 'pid_file'"),
        ("folder", "pid_file '%DIR%/folder' is a folder; name a file in it"),
    ])
    func anUnusablePIDFileIsAClearError(pidFile: String, message: String) throws {
        let rig = try ServiceRig(extra: "pid_file: \(pidFile)")
        defer { rig.stop() }
        try FileManager.default.createDirectory(
            atPath: rig.directory.path + "/folder", withIntermediateDirectories: true)
        let result = try KilnCLI.run(["run", rig.config, "--quiet"], timeout: .seconds(60))
        #expect(result.exitCode == 1, Comment(rawValue: result.description))
        let expected = message.replacingOccurrences(of: "%DIR%", with: rig.directory.path)
        #expect(result.stderr.contains(expected), Comment(rawValue: result.description))
        #expect(!FileManager.default.fileExists(atPath: rig.directory.path + "/history.sqlite"))
    }

    /// Write access denied (a folder only root may write, Kiln run as nobody): exit 1 saying so.
    @Test func aPIDFileTheUserMayNotCreateIsAClearError() throws {
        let setpriv = "/usr/bin/setpriv"
        try #require(FileManager.default.isExecutableFile(atPath: setpriv), "setpriv (util-linux) is missing")
        let rig = try ServiceRig(extra: "pid_file: locked/kiln.pid")
        defer { rig.stop() }
        let dir = rig.directory.path
        try FileManager.default.createDirectory(atPath: dir + "/locked", withIntermediateDirectories: true)
        chmod(dir + "/locked", 0o755)
        // nobody may write the historian's folder, not the lock's.
        chmod(dir, 0o777)
        let child = try ChildProcess([
            setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", try Repository.kiln(), "run", rig.config,
            "--quiet",
        ])
        defer { child.stop() }
        let status = child.wait(timeout: .seconds(60))
        child.waitForOutput()
        let text = child.stderr.text
        #expect(status == .exited(1), Comment(rawValue: text))
        #expect(
            text.contains(
                "error: pid_file '\(dir)/locked/kiln.pid' cannot be created or opened for writing (Permission denied): "
                    + "give the user running Kiln write access to '\(dir)/locked', or change 'pid_file'"),
            Comment(rawValue: text))
    }
}
