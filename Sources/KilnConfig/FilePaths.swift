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
