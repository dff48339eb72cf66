import KilnCore
import Yams

extension ConfigReader {
    /// PagerDuty's Events API v2 endpoint, a pagerduty hook's default `url`.
    static let pagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

    /// The gateway's `hooks:` list. A hook needs the historian: its outbox lives in the
    /// historian's SQLite file, so that an event is written in the same transaction as the alarm
    /// state change it reports.
    mutating func hooks(_ nodes: [Node], historian: Bool, fields: MappingFields) -> [HookConfig] {
        if !historian, !nodes.isEmpty, let key = fields.keyNode("hooks") {
            error(
                "'hooks' needs a 'historian:': each hook's outbox lives in the historian's SQLite file, "
                    + "so that no alarm event is lost across a restart",
                at: key)
        }
        var names = NameRegistry()
        return nodes.compactMap { hook($0, names: &names) }
    }

    private mutating func hook(_ node: Node, names: inout NameRegistry) -> HookConfig? {
        guard let fields = fields(node, .hook) else { return nil }
        let errorsBefore = count
        let name = validName(fields, "name", .hook, what: "hook")
        if let name, let nameNode = fields["name"], let first = names.claim(name, at: location(of: nameNode)) {
            error("duplicate hook name '\(name)'; first at \(first.reference(from: file))", at: nameNode)
        }
        let kind = choice(fields, "kind", HookKind.self)
        var hook = HookConfig(name: name ?? "", kind: kind ?? .webhook, location: location(of: node))
        if let kind {
            hook.url = hookURL(fields, kind: kind)
            hook.command = hookCommand(fields, kind: kind)
            hook.secret = hookSecret(fields, kind: kind, hook: &hook)
            if let key = fields.keyNode("resend"), kind != .alertmanager {
                error("'resend' applies only to kind alertmanager (how often a firing alert is re-sent)", at: key)
            }
        }
        hook.filter = hookFilter(fields)
        if let timeout = duration(fields, "timeout", in: DurationLimits.hookTimeout) { hook.timeout = timeout }
        if let maxAge = duration(fields, "max_age", in: DurationLimits.hookMaxAge) { hook.maxAge = maxAge }
        if let resend = duration(fields, "resend", in: DurationLimits.resend) { hook.resend = resend }
        if kind == .alertmanager, hook.resend <= hook.timeout, let n = fields["resend"] ?? fields["timeout"] {
            error(
                "'resend' (\(DurationText.format(hook.resend))) must be longer than 'timeout' "
                    + "(\(DurationText.format(hook.timeout))), or a resend starts before the last one gave up",
                at: n)
        }
        guard count == errorsBefore, name != nil, kind != nil else { return nil }
        if hook.kind == .webhook, hook.secret == nil {
            warning(
                "\(fields.subject) has no 'secret_env' or 'secret_file': its deliveries will be unsigned, "
                    + "and a receiver cannot tell them from forgeries",
                at: fields.node)
        }
        return hook
    }

    /// `url`: required for webhook and alertmanager, defaulted for pagerduty, refused for exec.
    private mutating func hookURL(_ fields: MappingFields, kind: HookKind) -> String? {
        guard let node = fields["url"] else {
            switch kind {
            case .webhook, .alertmanager:
                error("\(fields.subject) of kind \(kind) needs a 'url'", at: fields.node)
                return nil
            case .pagerduty: return Self.pagerDutyURL
            case .exec: return nil
            }
        }
        if kind == .exec, let key = fields.keyNode("url") {
            error("'url' does not apply to kind exec, which runs 'command'", at: key)
            return nil
        }
        guard let text = text(node, "url") else { return nil }
        if let problem = HookURL.problem(text) {
            error("invalid url '\(Self.quoted(text))': \(problem)", at: node)
            return nil
        }
        if kind == .alertmanager, let range = text.range(of: "/api/v2/alerts") {
            // Kiln posts to `/api/v2/alerts` under the base URL, as Prometheus does.
            let base = String(text[..<range.lowerBound])
            error(
                "'url' of an alertmanager hook is Alertmanager's base URL; Kiln adds /api/v2/alerts itself: "
                    + "write '\(Self.quoted(base))'",
                at: node)
            return nil
        }
        return text
    }

    /// `command`: exec only, a list whose first entry is an absolute path. Never a string: Kiln
    /// runs no shell, so a string would have to be split by rules of Kiln's own invention.
    private mutating func hookCommand(_ fields: MappingFields, kind: HookKind) -> [String] {
        guard let node = fields["command"] else {
            if kind == .exec { error("\(fields.subject) of kind exec needs a 'command'", at: fields.node) }
            return []
        }
        if kind != .exec, let key = fields.keyNode("command") {
            error("'command' applies only to kind exec", at: key)
            return []
        }
        guard case .sequence(let sequence) = node else {
            if case .scalar = node, !node.isNull {
                error(
                    "'command' must be a list, the program and then each argument, not a string: Kiln runs it "
                        + "without a shell, so nothing would split the words or expand variables; "
                        + "write e.g. [/usr/local/bin/notify, --channel, ops]",
                    at: node)
            } else {
                error("expected a list for 'command', found \(node.describedForMessage)", at: node)
            }
            return []
        }
        guard !sequence.isEmpty else {
            error("'command' is empty; name the program to run, by its absolute path", at: node)
            return []
        }
        var command: [String] = []
        for item in sequence {
            guard case .scalar(let scalar) = item, !item.isNull else {
                error("expected text in 'command', found \(item.describedForMessage)", at: item)
                return []
            }
            if scalar.string.contains("\0") {
                error("'command' entries may not contain NUL characters", at: item)
                return []
            }
            command.append(scalar.string)
        }
        if !command[0].hasPrefix("/") {
            error(
                "the program '\(Self.quoted(command[0]))' must be an absolute path (no PATH search is done), "
                    + "e.g. /usr/local/bin/\(Self.quoted(command[0]))",
                at: sequence[0])
            return []
        }
        return command
    }

    /// `secret_env` or `secret_file` (not both): webhook signing secret, PagerDuty routing key.
    /// Only the name of the variable or file is kept; the secret is read when delivering.
    private mutating func hookSecret(_ fields: MappingFields, kind: HookKind, hook: inout HookConfig) -> SecretSource? {
        let keys = ["secret_env", "secret_file"].filter { fields.has($0) }
        if keys.count > 1, let key = fields.keyNode("secret_file") {
            error("a hook takes one secret: 'secret_env' or 'secret_file', not both", at: key)
            return nil
        }
        guard let key = keys.first, let node = fields[key], let keyNode = fields.keyNode(key) else {
            switch kind {
            case .pagerduty:
                error(
                    "\(fields.subject) of kind pagerduty needs 'secret_env' or 'secret_file': "
                        + "the secret is its routing key",
                    at: fields.node)
            case .webhook, .alertmanager, .exec:
                break
            }
            return nil
        }
        if kind == .alertmanager || kind == .exec {
            error("'\(key)' applies only to kinds webhook (signing secret) and pagerduty (routing key)", at: keyNode)
            return nil
        }
        guard let text = text(node, key) else { return nil }
        hook.secretLocation = location(of: node)
        if key == "secret_env" {
            guard Self.isEnvironmentName(text) else {
                error(
                    "'secret_env' names an environment variable (letters, digits and '_', not starting with "
                        + "a digit), found '\(Self.quoted(text))'; the secret itself never goes in the config",
                    at: node)
                return nil
            }
            return .environment(text)
        }
        if text.contains("\0") {
            error("'secret_file' may not contain NUL characters", at: node)
            return nil
        }
        return .file(FilePaths.resolve(text, relativeTo: file))
    }

    static func isEnvironmentName(_ text: String) -> Bool {
        guard let first = text.first, !first.isNumber else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// `min_severity`, `devices`, `tags`, `transitions`.
    private mutating func hookFilter(_ fields: MappingFields) -> HookFilter {
        var filter = HookFilter()
        if let severity = choice(fields, "min_severity", AlarmSeverity.self) { filter.minSeverity = severity }
        filter.devices = globs(fields, "devices")
        filter.tags = globs(fields, "tags")
        if let nodes = list(fields, "transitions") {
            if nodes.isEmpty, let node = fields["transitions"] {
                error(
                    "'transitions' lists none, so the hook would take nothing; leave it out to take every one "
                        + "but suppressed and unsuppressed", at: node
                )
            }
            var transitions: Set<AlarmTransition> = []
            let names = AlarmTransition.allCases.map(\.rawValue)
            for node in nodes {
                guard let text = node.plainText else {
                    error(
                        "expected one of \(Self.list(names)) in 'transitions', found \(node.describedForMessage)",
                        at: node)
                    continue
                }
                guard let transition = AlarmTransition(rawValue: text) else {
                    let hint =
                        Suggestion.nearest(to: text, in: names).map { "did you mean '\($0)'?" }
                        ?? "expected \(Self.list(names))"
                    error("unknown transition '\(Self.quoted(text))'; \(hint)", at: node)
                    continue
                }
                transitions.insert(transition)
            }
            if !nodes.isEmpty { filter.transitions = transitions }
        }
        return filter
    }

    /// A list of fnmatch globs, each non-empty text.
    private mutating func globs(_ fields: MappingFields, _ key: String) -> [String] {
        guard let nodes = list(fields, key) else { return [] }
        return nodes.compactMap { node in
            guard let glob = text(node, key) else { return nil }
            hookGlobs.append(HookGlob(hook: fields.subject, key: key, glob: glob, location: location(of: node)))
            return glob
        }
    }

    /// A device or tag glob that matches nothing in the loaded maps is most likely a typo that
    /// would silently keep alarms from the hook: a warning at the glob.
    mutating func warnAboutUnmatchedGlobs(_ config: GatewayConfig) {
        guard !hookGlobs.isEmpty else { return }
        let devices = config.devices.map(\.name)
        let tags = Set(config.devices.flatMap { $0.tags.map(\.name) })
        for entry in hookGlobs {
            let names = entry.key == "devices" ? devices : Array(tags)
            guard !names.contains(where: { HookFilter.glob(entry.glob, matches: $0) }) else { continue }
            let what = entry.key == "devices" ? "device" : "tag"
            let hint = Suggestion.hint(for: entry.glob, in: names)
            warning(
                "\(entry.hook): '\(Self.quoted(entry.glob))' in '\(entry.key)' matches no \(what) of this gateway\(hint)",
                at: entry.location)
        }
    }
}

/// One glob of a hook's filter, where it was written.
struct HookGlob {
    var hook: String
    var key: String
    var glob: String
    var location: SourceLocation
}
