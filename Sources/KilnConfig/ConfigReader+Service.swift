import KilnCore
import Yams

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ConfigReader {
    /// The file name of the default `pid_file:`, in the historian's folder.
    static let defaultPIDFileName = "kiln.pid"

    /// `pid_file:` of a gateway config, relative to the config's folder; by default `kiln.pid`
    /// in the historian's folder. Without a historian and without the key there is no lock:
    /// no folder is known to be writable (the config's own is read-only under systemd's
    /// ProtectSystem=strict), and there is no history file for a second copy to contend for.
    mutating func pidFile(_ fields: MappingFields, historian: HistorianConfig?) -> String? {
        guard let node = fields["pid_file"] else {
            guard let database = historian?.path else { return nil }
            let folder = database.lastIndex(of: "/").map { String(database[..<$0]) } ?? "."
            return (folder.isEmpty ? "" : folder + "/") + Self.defaultPIDFileName
        }
        guard let entry = text(node, "pid_file") else { return nil }
        let path = FilePaths.resolve(entry, relativeTo: file)
        if let problem = Self.pidFileProblem(path) { error(problem, at: node) }
        return path
    }

    /// What is wrong with `path` as a lock file that load time can see: a folder in its place,
    /// or no folder to create it in. Permissions are `kiln run`'s to find (it may run as
    /// another user than `kiln check`).
    static func pidFileProblem(_ path: String) -> String? {
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            return "pid_file '\(path)' is a folder; name a file in it"
        }
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let shown = folder.isEmpty ? "/" : folder
        guard stat(shown, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            return "pid_file folder '\(shown)' does not exist; create it or change 'pid_file'"
        }
        return nil
    }
}
