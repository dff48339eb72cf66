import Foundation
import KilnTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// tools/install into a temporary root (`--root`): the user, the folders and files with their
/// modes and owners, the enabled unit; run twice, it changes nothing that is the operator's.
struct InstallerTests {
    static let installer = Repository.root + "/tools/install"

    /// A root with only root's account in etc/passwd, etc/group, etc/shadow and etc/gshadow.
    static func emptyRoot() throws -> TempDir {
        let root = TempDir("installroot")
        try FileManager.default.createDirectory(atPath: root.file("etc"), withIntermediateDirectories: true)
        _ = try root.write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
        _ = try root.write("etc/group", "root:x:0:\n")
        _ = try root.write("etc/shadow", "root:*:19000:0:99999:7:::\n")
        _ = try root.write("etc/gshadow", "root:*::\n")
        chmod(root.file("etc/shadow"), 0o640)
        chmod(root.file("etc/gshadow"), 0o640)
        return root
    }

    static func install(_ root: TempDir, _ extra: [String] = []) async throws -> ProgramOutput {
        for tool in ["/usr/sbin/useradd", "/usr/bin/systemctl"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            throw ToolMissing(description: "\(tool) is missing: run tools/setup.sh --tests (Debian passwd, systemd)")
        }
        return try await runProgram(
            "/bin/bash", [installer, "--root", root.path, "--binary", try Repository.kiln()] + extra,
            timeout: .seconds(120))
    }

    struct Entry: Equatable, CustomStringConvertible {
        var mode: mode_t
        var uid: uid_t
        var gid: gid_t
        var description: String { "\(String(mode, radix: 8)) \(uid):\(gid)" }
    }

    static func entry(_ path: String) -> Entry? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Entry(mode: info.st_mode & 0o7777, uid: info.st_uid, gid: info.st_gid)
    }

    @Test func installsIntoARootWithTheRightModesAndOwners() async throws {
        let root = try Self.emptyRoot()
        defer { root.cleanup() }
        let first = try await Self.install(root)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")

        let passwd = try String(contentsOfFile: root.file("etc/passwd"), encoding: .utf8)
        let account = try #require(passwd.split(separator: "\n").first { $0.hasPrefix("svc_automation:") })
        let fields = account.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let uid = try #require(uid_t(fields[2]))
        let gid = try #require(gid_t(fields[3]))
        #expect(uid > 0 && uid < 1000, "a system account: \(account)")
        #expect(fields[5] == "/var/lib/kiln" && fields[6] == "/usr/sbin/nologin", "\(account)")
        let group = try String(contentsOfFile: root.file("etc/group"), encoding: .utf8)
        #expect(group.contains("svc_automation:x:\(gid):"))

        let expected: [(String, Entry)] = [
            ("usr/local/bin/kiln", Entry(mode: 0o755, uid: 0, gid: 0)),
            ("etc/kiln", Entry(mode: 0o750, uid: 0, gid: gid)),
            ("etc/kiln/kiln.yaml", Entry(mode: 0o640, uid: 0, gid: gid)),
            ("etc/kiln/devices/plant.yaml", Entry(mode: 0o640, uid: 0, gid: gid)),
            ("etc/kiln/secrets", Entry(mode: 0o700, uid: uid, gid: gid)),
            ("etc/kiln/kiln.env", Entry(mode: 0o600, uid: 0, gid: 0)),
            ("var/lib/kiln", Entry(mode: 0o750, uid: uid, gid: gid)),
            ("etc/systemd/system/kiln.service", Entry(mode: 0o644, uid: 0, gid: 0)),
        ]
        for (path, entry) in expected {
            #expect(Self.entry(root.file(path)) == entry, "\(path)")
        }
        // Enabled: the wants/ link systemctl makes.
        let link = try FileManager.default.destinationOfSymbolicLink(
            atPath: root.file("etc/systemd/system/multi-user.target.wants/kiln.service"))
        #expect(link == "/etc/systemd/system/kiln.service")
        #expect(first.stdout.contains("skipped: systemctl daemon-reload and start"), "\(first.stdout)")
        // The binary is the one built, the config points the historian at /var/lib/kiln.
        #expect(
            FileManager.default.contentsEqual(atPath: root.file("usr/local/bin/kiln"), andPath: try Repository.kiln()))
        let config = try String(contentsOfFile: root.file("etc/kiln/kiln.yaml"), encoding: .utf8)
        #expect(config.contains("  path: /var/lib/kiln/history.sqlite\n"))
        #expect(config.contains("  - devices/*.yaml\n"))

        // Again, after the operator edited the config and dropped in a secret too readable.
        try (config + "# edited\n").write(toFile: root.file("etc/kiln/kiln.yaml"), atomically: false, encoding: .utf8)
        chmod(root.file("etc/kiln/kiln.yaml"), 0o644)
        _ = try root.write("etc/kiln/secrets/pagerduty.key", "routing-key\n")
        chmod(root.file("etc/kiln/secrets/pagerduty.key"), 0o644)
        let second = try await Self.install(root)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains("user svc_automation exists"))
        let accounts = try String(contentsOfFile: root.file("etc/passwd"), encoding: .utf8)
        #expect(accounts.split(separator: "\n").filter { $0.hasPrefix("svc_automation:") }.count == 1)
        #expect(try String(contentsOfFile: root.file("etc/kiln/kiln.yaml"), encoding: .utf8).hasSuffix("# edited\n"))
        #expect(Self.entry(root.file("etc/kiln/kiln.yaml")) == Entry(mode: 0o640, uid: 0, gid: gid))
        #expect(Self.entry(root.file("etc/kiln/secrets/pagerduty.key")) == Entry(mode: 0o600, uid: uid, gid: gid))
        for (path, entry) in expected { #expect(Self.entry(root.file(path)) == entry, "\(path)") }
    }

    @Test func aDryRunChangesNothing() async throws {
        let root = try Self.emptyRoot()
        defer { root.cleanup() }
        let before = FileManager.default.subpaths(atPath: root.path)?.sorted()
        let passwd = try String(contentsOfFile: root.file("etc/passwd"), encoding: .utf8)
        let result = try await Self.install(root, ["--dry-run"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("would: useradd --prefix \(root.path) --system"), "\(result.stdout)")
        #expect(result.stdout.contains("would: install -D -m 0755 -o 0 -g 0"), "\(result.stdout)")
        #expect(FileManager.default.subpaths(atPath: root.path)?.sorted() == before)
        #expect(try String(contentsOfFile: root.file("etc/passwd"), encoding: .utf8) == passwd)
    }
}
