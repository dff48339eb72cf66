import Foundation
import KilnCore
import KilnRemediation
import KilnTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The control sockets' folder: private, ours, a real folder, short enough for socket paths.
@Suite struct SSHControlDirectoryTests {
    func refusal(_ path: String) -> SSHTransportError? {
        do {
            try SSHControlDirectory.prepare(path)
            return nil
        } catch {
            return error
        }
    }

    @Test func aMissingFolderIsMadePrivate() throws {
        let path = controlFolder()
        defer { rmdir(path) }
        _ = try SSHTransport(controlDirectory: path)
        var st = stat()
        #expect(lstat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o700)
        #expect(st.st_uid == geteuid())
    }

    @Test func aSymlinkAnOpenModeOrAnotherOwnerIsRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let real = dir.file("real")
        #expect(mkdir(real, 0o700) == 0)
        let link = dir.file("link")
        #expect(symlink(real, link) == 0)
        #expect(refusal(link)?.code == .unsafeControlDirectory)
        #expect(refusal(link)?.description.contains("symbolic link") == true)

        let open = dir.file("open")
        #expect(mkdir(open, 0o700) == 0)
        #expect(chmod(open, 0o755) == 0)
        #expect(refusal(open)?.code == .unsafeControlDirectory)
        #expect(refusal(open)?.description.contains("755") == true)

        let foreign = dir.file("foreign")
        #expect(mkdir(foreign, 0o700) == 0)
        #expect(chown(foreign, 65534, 65534) == 0)
        #expect(refusal(foreign)?.code == .unsafeControlDirectory)

        let file = dir.file("file")
        #expect(FileManager.default.createFile(atPath: file, contents: nil))
        #expect(refusal(file)?.code == .unsafeControlDirectory)

        #expect(refusal(real) == nil)
        #expect(refusal("relative/folder")?.code == .controlDirectory)
    }

    @Test func aFolderTooLongForSocketPathsIsRefused() {
        let long = "/tmp/" + String(repeating: "d", count: 80)
        let error = refusal(long)
        #expect(error?.code == .socketPathTooLong)
        #expect(error?.description.contains("107") == true)
        #expect(!FileManager.default.fileExists(atPath: long))
        // The longest accepted folder still leaves room for ssh's temporary bind name.
        let fits = "/tmp/" + String(repeating: "e", count: 107 - 16 - 17 - 1 - 5)
        defer { rmdir(fits) }
        #expect(refusal(fits) == nil)
        let socket = SSHControlDirectory.socketPath(
            directory: fits,
            host: RemediationHost(name: "h", address: "a", user: "u", identityFile: "/k", knownHosts: "/kh"))
        #expect(socket.utf8.count + SSHControlDirectory.bindSuffix <= SSHControlDirectory.maxSocketPath)
    }

    @Test func theDefaultFolderIsPerUserAndHistorian() {
        let a = SSHControlDirectory.defaultPath(historian: "/var/lib/kiln/a.sqlite")
        let b = SSHControlDirectory.defaultPath(historian: "/var/lib/kiln/b.sqlite")
        #expect(a != b)
        #expect(a.hasPrefix("/tmp/kiln-ssh-\(geteuid())-"))
        #expect(a.split(separator: "-").last?.count == 8)
    }

    @Test func anAddressThatLooksLikeAnOptionNeverReachesSsh() async throws {
        let path = controlFolder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let transport = try SSHTransport(controlDirectory: path)
        let marker = path + "-pwned"
        let h = RemediationHost(
            name: "evil", address: "-oProxyCommand=touch \(marker)", user: "u", identityFile: "/k", knownHosts: "/kh")
        let r = await transport.run(RemoteRun(id: 1, host: h, argv: ["true"], timeout: .seconds(5)))
        #expect(r.outcome == .failed)
        #expect(r.detail?.contains("starts with `-`") == true)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
