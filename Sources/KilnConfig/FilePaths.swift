#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Paths named inside a gateway config: relative to the config's folder, tidied for display,
/// and globs expanded with glob(3).
enum FilePaths {
    /// `entry` as seen from the folder holding `file` (absolute entries stay as they are).
    static func resolve(_ entry: String, relativeTo file: String) -> String {
        if entry.hasPrefix("/") { return normalize(entry) }
        guard let slash = file.lastIndex(of: "/") else { return normalize(entry) }
        return normalize(String(file[...slash]) + entry)
    }

    /// Removes `.` segments, empty segments and `name/..` pairs, lexically, so that
    /// `config/../devices/plant.yaml` prints as `devices/plant.yaml`.
    static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            if part == "..", absolute, parts.isEmpty { continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// True when `entry` uses glob(3) wildcards.
    static func isPattern(_ entry: String) -> Bool {
        entry.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// The regular files that `pattern` matches, sorted; folders are skipped.
    static func expand(_ pattern: String) -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(pattern, GLOB_MARK, nil, &matches) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(matches.gl_pathc) {
            guard let cString = matches.gl_pathv[index] else { continue }
            let path = String(cString: cString)
            if !path.hasSuffix("/") { paths.append(path) }
        }
        return paths.sorted()
    }

    /// Whether `path` is a folder (following symbolic links).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether anything exists at `path`.
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}

extension FilePaths {
    /// Why the historian cannot create or write the database at `path`, or nil when it can:
    /// checked at load time so that `kiln check` reports it at the `path:` key, rather than
    /// `kiln run` failing later with SQLite's "unable to open database file".
    static func databaseProblem(_ path: String) -> String? {
        var info = stat()
        if stat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR { return "historian path '\(path)' is a folder; name a file in it" }
            if (info.st_mode & S_IFMT) != S_IFREG { return "historian path '\(path)' is not a regular file" }
            if access(path, R_OK | W_OK) != 0 {
                return "historian file '\(path)' cannot be written: \(String(cString: strerror(errno)))"
            }
        }
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let shown = folder.isEmpty ? "/" : folder
        guard stat(shown, &info) == 0 else {
            return "historian folder '\(shown)' does not exist; create it or change 'path'"
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return "historian folder '\(shown)' is not a folder" }
        // The database, its -wal and -shm files are created in the folder.
        if access(shown, W_OK | X_OK) != 0 {
            return "historian folder '\(shown)' cannot be written: \(String(cString: strerror(errno)))"
        }
        return nil
    }
}
