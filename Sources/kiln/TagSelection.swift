import KilnConfig
import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// How every command names tags on the command line (`read`, `replay`, `export`): `DEVICE/TAG`;
/// a bare `TAG` where exactly one device has a tag of that name; or, where a command takes
/// several, a glob (`boiler-1/*`, and `*_temp` for that tag name in every device).
///
/// Names are `[a-z0-9_-]`, so a `/` always separates the device from the tag and a `*`, `?` or
/// `[` always means a glob. A name that matches nothing is answered with the nearest names
/// (``Suggestion``), an ambiguous bare name with the candidates as `DEVICE/TAG`.
struct TagSelection {
    /// One tag: its device's name and its own.
    struct Path: Hashable, Sendable, CustomStringConvertible {
        var device: String
        var tag: String
        var description: String { device + "/" + tag }
    }

    /// A name or pattern that selects nothing, or more than the command takes.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Every tag there is, in the order commands list them.
    let paths: [Path]
    /// Where the tags come from, for messages: a config file, or "the historian FILE".
    let source: String
    /// The devices chosen with `--device`, when the command has it and it was given.
    private(set) var scope: [String]?

    /// - Parameters:
    ///   - paths: every tag, in order.
    ///   - source: where they come from, as messages should name it.
    init(paths: [Path], source: String) {
        self.paths = paths
        self.source = source
    }

    /// Every tag of a gateway config (or map), in config order.
    init(config: GatewayConfig, source: String) {
        self.init(
            paths: config.devices.flatMap { device in device.tags.map { Path(device: device.name, tag: $0.name) } },
            source: source)
    }

    /// The device names, each once, in order.
    var devices: [String] {
        var seen = Set<String>()
        return paths.map(\.device).filter { seen.insert($0).inserted }
    }

    // MARK: - Devices

    /// Keeps bare names and globs to `devices` (`read --device`).
    ///
    /// - Throws: when a name is not a device, with the nearest device name.
    mutating func restrict(toDevices names: [String]) throws(Failure) {
        guard !names.isEmpty else { return }
        for name in names { try checkDevice(name) }
        scope = names
    }

    private func checkDevice(_ name: String) throws(Failure) {
        let known = devices
        guard !known.contains(name) else { return }
        throw Failure(description: "no device named '\(name)' in \(source)\(Self.hint(name, known, list: "devices"))")
    }

    private func inScope(_ path: Path) -> Bool { scope?.contains(path.device) ?? true }

    private var scopeText: String {
        guard let scope else { return source }
        return "the selected \(scope.count == 1 ? "device" : "devices") (\(scope.joined(separator: ", "))) of \(source)"
    }

    // MARK: - Resolution

    /// The one tag that `text` names.
    ///
    /// - Throws: when it names no tag, or several (an ambiguous bare name, a glob matching more
    ///   than one).
    func one(_ text: String) throws(Failure) -> Path {
        let found = try matches(text)
        guard found.count == 1 else { throw ambiguous(text, found) }
        return found[0]
    }

    /// Every tag `patterns` name, each once, in ``paths`` order; every tag in scope when there
    /// are no patterns.
    ///
    /// - Throws: when a pattern names nothing, or a bare tag name is in several devices.
    func all(_ patterns: [String]) throws(Failure) -> [Path] {
        guard !patterns.isEmpty else { return paths.filter(inScope) }
        var chosen = Set<Path>()
        for pattern in patterns {
            let found = try matches(pattern)
            if !Self.isGlob(pattern), found.count > 1 { throw ambiguous(pattern, found) }
            chosen.formUnion(found)
        }
        return paths.filter(chosen.contains)
    }

    private func ambiguous(_ text: String, _ found: [Path]) -> Failure {
        let what =
            Self.isGlob(text) ? "'\(text)' matches \(found.count) tags" : "tag '\(text)' is in \(found.count) devices"
        return Failure(
            description: "\(what) of \(scopeText); name one as DEVICE/TAG: \(Self.list(found.map(\.description)))")
    }

    /// The tags `text` matches in scope (at least one).
    private func matches(_ text: String) throws(Failure) -> [Path] {
        if Self.isGlob(text) {
            let pattern = text.contains("/") ? text : "*/" + text
            let found = paths.filter { inScope($0) && fnmatch(pattern, $0.description, 0) == 0 }
            guard !found.isEmpty else {
                throw Failure(description: "unknown tag '\(text)': no tag in \(scopeText) matches it")
            }
            return found
        }
        guard let slash = text.firstIndex(of: "/") else { return try bare(text) }
        let device = String(text[..<slash])
        let tag = String(text[text.index(after: slash)...])
        try checkDevice(device)
        if let scope, !scope.contains(device) {
            throw Failure(
                description: "'\(text)' is not in the devices chosen with --device (\(scope.joined(separator: ", ")))")
        }
        let path = Path(device: device, tag: tag)
        if paths.contains(path) { return [path] }
        let tags = paths.filter { $0.device == device }.map(\.tag)
        var message = "unknown tag '\(text)': device '\(device)' in \(source) has no tag named '\(tag)'"
        if let near = Suggestion.nearest(to: tag, in: tags) {
            message += "; did you mean '\(device)/\(near)'?"
        } else {
            let elsewhere = paths.filter { $0.tag == tag }.map(\.description)
            message += elsewhere.isEmpty ? " (its tags: \(Self.list(tags)))" : "; it is in \(Self.list(elsewhere))"
        }
        throw Failure(description: message)
    }

    /// The tags in scope named `name` in any device.
    private func bare(_ name: String) throws(Failure) -> [Path] {
        let found = paths.filter { $0.tag == name && inScope($0) }
        guard found.isEmpty else { return found }
        var message = "no tag named '\(name)' in \(scopeText)"
        let outside = paths.filter { $0.tag == name }.map(\.description)
        if !outside.isEmpty {
            message += "; it is in \(Self.list(outside))"
        } else if devices.contains(name) {
            message += "; '\(name)' is a device: name its tags as \(name)/TAG or \(name)/*"
        } else {
            let candidates = paths.filter(inScope)
            if let near = Suggestion.nearest(to: name, in: Set(candidates.map(\.tag)).sorted()) {
                let holders = candidates.filter { $0.tag == near }.map(\.description)
                message += "; did you mean '\(holders.count == 1 ? holders[0] : near)'?"
                if holders.count > 1 { message += " (in \(Self.list(holders)))" }
            } else {
                message += " (name a tag as DEVICE/TAG; devices: \(Self.list(devices)))"
            }
        }
        throw Failure(description: message)
    }

    // MARK: - Text

    static func isGlob(_ text: String) -> Bool { text.contains { $0 == "*" || $0 == "?" || $0 == "[" } }

    /// `; did you mean 'x'?`, or the known names when none is near.
    private static func hint(_ word: String, _ known: [String], list what: String) -> String {
        if let near = Suggestion.nearest(to: word, in: known) { return "; did you mean '\(near)'?" }
        return known.isEmpty ? "" : " (\(what): \(list(known)))"
    }

    /// Up to eight names, comma-separated, with a count of the rest.
    static func list(_ names: [String]) -> String {
        let shown = names.prefix(8).joined(separator: ", ")
        return names.count > 8 ? shown + ", … (\(names.count) in all)" : shown
    }
}
