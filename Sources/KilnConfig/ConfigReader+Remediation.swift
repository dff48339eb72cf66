import KilnCore
import Yams

extension MappingSchema {
    /// The gateway's `remediation:` block.
    static let remediation = MappingSchema(
        "remediation", keys: ["mode", "max_per_hour", "control_dir", "control_persist", "ssh", "hosts", "rules"])

    /// One entry of `remediation: { hosts: }`.
    static let remediationHost = MappingSchema(
        "remediation host",
        keys: [
            "name", "address", "port", "user", "identity_file", "known_hosts", "max_concurrent", "connect_timeout",
        ],
        required: ["name", "address", "user", "identity_file", "known_hosts"]
    )

    /// One entry of `remediation: { rules: }`.
    static let remediationRule = MappingSchema(
        "remediation rule",
        keys: [
            "name", "when", "host", "command", "timeout", "cooldown", "max_attempts", "retry_delay",
            "retry_interrupted", "verify",
        ],
        required: ["name", "when", "host", "command"]
    )

    static let remediationWhen = MappingSchema("when", keys: ["alarm", "persists"], required: ["alarm", "persists"])

    static let remediationVerify = MappingSchema(
        "verify", keys: ["tag", "below", "above", "within"], required: ["tag", "within"])
}

extension DurationLimits {
    /// How long an alarm must have been active before a rule acts: up to a week.
    static let persists: ClosedRange<Duration> = .milliseconds(1)...(.seconds(7 * 86_400))
    /// The least time between two runs of a rule on its host: none up to a week.
    static let cooldown: ClosedRange<Duration> = .zero...(.seconds(7 * 86_400))
    /// The first back-off of a failed run (doubled per attempt): up to a day.
    static let retryDelay: ClosedRange<Duration> = .milliseconds(1)...(.seconds(86_400))
    /// How long a multiplexed ssh connection stays idle (`ControlPersist`; 0 would mean forever).
    static let controlPersist: ClosedRange<Duration> = .seconds(1)...(.seconds(86_400))
    /// How long the `verify` condition may take to hold: up to a day.
    static let verifyWithin: ClosedRange<Duration> = .milliseconds(1)...(.seconds(86_400))
}

/// The limits of the counts in `remediation:`.
enum RemediationLimits {
    static let maxPerHour = 1...10_000
    static let maxConcurrent = 1...1_000
    /// Attempts per episode: the back-off doubles per attempt, so 20 keeps it far from overflow.
    static let maxAttempts = 1...20
}

extension ConfigReader {
    /// `remediation:` of a gateway config, read after the device maps so that a rule's alarm and
    /// its verify tag are checked against the alarms and tags that exist.
    ///
    /// - Parameters:
    ///   - node: the block.
    ///   - key: the `remediation` key, where a block-wide error points.
    ///   - config: the gateway config so far, its devices loaded.
    ///   - mapsClean: false when a device map had errors: alarm and tag names are then not
    ///     checked, as a name missing from a broken map is not the rule's fault.
    mutating func remediation(_ node: Node, key: Node?, config: GatewayConfig, mapsClean: Bool) -> RemediationConfig? {
        guard let fields = fields(node, .remediation) else { return nil }
        let errorsBefore = count
        if config.historian == nil {
            error(
                "'remediation' needs a 'historian:': its queue of runs and its audit log live in the historian's "
                    + "SQLite file, so that a restart neither loses a run nor runs it twice",
                at: key ?? node)
        }
        var remediation = RemediationConfig(location: location(of: node))
        if let mode = choice(fields, "mode", RemediationMode.self) { remediation.mode = mode }
        if let n = integer(fields, "max_per_hour", in: RemediationLimits.maxPerHour) { remediation.maxPerHour = n }
        if let dir = path(fields, "control_dir") { remediation.controlDirectory = dir }
        if let persist = duration(fields, "control_persist", in: DurationLimits.controlPersist) {
            remediation.controlPersist = persist
        }
        if let ssh = path(fields, "ssh"), let sshNode = fields["ssh"] {
            if let problem = FilePaths.programProblem(ssh) {
                error("'ssh' must name the OpenSSH client: \(problem)", at: sshNode)
            } else {
                remediation.sshPath = ssh
            }
        }
        var hostNames: [String] = []
        if let nodes = list(fields, "hosts") {
            var names = NameRegistry()
            for hostNode in nodes {
                if let name = hostNode.mapping?["name"]?.scalar?.string { hostNames.append(name) }
                if let host = remediationHost(hostNode, names: &names) { remediation.hosts.append(host) }
            }
        }
        let catalog = mapsClean ? RemediationCatalog(config) : nil
        let ruleNodes = list(fields, "rules") ?? []
        if ruleNodes.isEmpty {
            warning(
                "'remediation' has no rules: nothing will ever run; add a rule under 'rules:' or remove the block",
                at: fields["rules"] ?? key ?? node)
        }
        var names = NameRegistry()
        for ruleNode in ruleNodes {
            guard
                let rule = remediationRule(
                    ruleNode, hostNames: hostNames, catalog: catalog, names: &names)
            else { continue }
            remediation.rules.append(rule)
            warnAbout(rule, remediation: remediation, config: config)
        }
        return count == errorsBefore ? remediation : nil
    }

    // MARK: Hosts

    private mutating func remediationHost(_ node: Node, names: inout NameRegistry) -> RemediationHost? {
        guard let fields = fields(node, .remediationHost) else { return nil }
        let errorsBefore = count
        let name = validName(fields, "name", .hook, what: "host")
        if let name, let nameNode = fields["name"], let first = names.claim(name, at: location(of: nameNode)) {
            error("duplicate host name '\(name)'; first at \(first.reference(from: file))", at: nameNode)
        }
        let address = sshWord(fields, "address", allowed: Self.isAddressCharacter, what: "a host name or IP address")
        let user = sshWord(fields, "user", allowed: Self.isUserCharacter, what: "a user name")
        let identity = path(fields, "identity_file")
        let knownHosts = path(fields, "known_hosts")
        var host = RemediationHost(
            name: name ?? "", address: address ?? "", user: user ?? "", identityFile: identity ?? "",
            knownHosts: knownHosts ?? "", location: location(of: node),
            identityLocation: fields["identity_file"].map { location(of: $0) },
            knownHostsLocation: fields["known_hosts"].map { location(of: $0) })
        if let port = integer(fields, "port", in: 1...65_535) { host.port = port }
        if let n = integer(fields, "max_concurrent", in: RemediationLimits.maxConcurrent) { host.maxConcurrent = n }
        if let timeout = duration(fields, "connect_timeout", in: DurationLimits.timeout) {
            host.connectTimeout = timeout
        }
        guard count == errorsBefore, name != nil, address != nil, user != nil, identity != nil, knownHosts != nil
        else { return nil }
        return host
    }

    /// Letters, digits, `.`, `-`, `_`, `:` (IPv6) and `%` (an IPv6 zone).
    private static func isAddressCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "-" || c == "_" || c == ":" || c == "%")
    }

    /// POSIX portable user names: letters, digits, `.`, `-`, `_`.
    private static func isUserCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "-" || c == "_")
    }

    /// An address or user, handed to ssh as its own argument: only the characters such a word
    /// has, and never a leading `-`, which ssh would take for an option (`-oProxyCommand=...`).
    private mutating func sshWord(
        _ fields: MappingFields, _ key: String, allowed: (Character) -> Bool, what: String
    ) -> String? {
        guard let node = fields[key], let text = text(node, key) else { return nil }
        if text.hasPrefix("-") {
            error(
                "'\(key)' may not start with '-': ssh would take '\(Self.quoted(text))' for an option", at: node)
            return nil
        }
        guard text.allSatisfy(allowed) else {
            let bad = text.first { !allowed($0) }.map { "'\($0)'" } ?? "a character"
            error(
                "'\(key)' must be \(what) (letters, digits, '.', '-', '_'\(key == "address" ? ", ':'" : "")), "
                    + "found \(bad) in '\(Self.quoted(text))'",
                at: node)
            return nil
        }
        return text
    }

    /// A file or folder named by `key`, resolved against the config's folder.
    private mutating func path(_ fields: MappingFields, _ key: String) -> String? {
        guard let node = fields[key], let text = text(node, key) else { return nil }
        if text.contains("\0") {
            error("'\(key)' may not contain NUL characters", at: node)
            return nil
        }
        return FilePaths.resolve(text, relativeTo: file)
    }

    // MARK: Rules

    private mutating func remediationRule(
        _ node: Node, hostNames: [String], catalog: RemediationCatalog?, names: inout NameRegistry
    ) -> RemediationRule? {
        guard let fields = fields(node, .remediationRule) else { return nil }
        let errorsBefore = count
        let name = validName(fields, "name", .hook, what: "rule")
        if let name, let nameNode = fields["name"], let first = names.claim(name, at: location(of: nameNode)) {
            error("duplicate rule name '\(name)'; first at \(first.reference(from: file))", at: nameNode)
        }
        let trigger = fields["when"].flatMap { remediationTrigger($0, catalog: catalog) }
        let host = text(fields, "host")
        if let host, let hostNode = fields["host"], !hostNames.contains(host) {
            let hint =
                Suggestion.nearest(to: host, in: hostNames).map { "; did you mean '\($0)'?" }
                ?? (hostNames.isEmpty
                    ? "; no host is defined under 'hosts:'" : "; defined hosts: \(Self.list(hostNames))")
            error("unknown host '\(Self.quoted(host))'\(hint)", at: hostNode)
        }
        let command = remediationCommand(fields)
        var rule = RemediationRule(
            name: name ?? "", trigger: trigger ?? RemediationTrigger(alarm: "", persists: .zero), host: host ?? "",
            command: command ?? [], location: location(of: node))
        if let timeout = duration(fields, "timeout", in: DurationLimits.timeout) { rule.timeout = timeout }
        if let cooldown = duration(fields, "cooldown", in: DurationLimits.cooldown) { rule.cooldown = cooldown }
        if let n = integer(fields, "max_attempts", in: RemediationLimits.maxAttempts) { rule.maxAttempts = n }
        if let delay = duration(fields, "retry_delay", in: DurationLimits.retryDelay) { rule.retryDelay = delay }
        if let retry = bool(fields, "retry_interrupted") { rule.retryInterrupted = retry }
        if let verifyNode = fields["verify"] { rule.verify = remediationVerify(verifyNode, catalog: catalog) }
        guard count == errorsBefore, name != nil, trigger != nil, host != nil, command != nil else { return nil }
        return rule
    }

    private mutating func remediationTrigger(_ node: Node, catalog: RemediationCatalog?) -> RemediationTrigger? {
        guard let fields = fields(node, .remediationWhen) else { return nil }
        let persists = duration(fields, "persists", in: DurationLimits.persists)
        guard let alarmNode = fields["alarm"], let alarm = text(alarmNode, "alarm") else { return nil }
        if let catalog, let problem = catalog.alarmProblem(alarm) {
            error(problem, at: alarmNode)
            return nil
        }
        guard let persists else { return nil }
        return RemediationTrigger(alarm: alarm, persists: persists)
    }

    /// `command`: a list, never a string. Each element is checked by `CommandTemplate.validate`.
    private mutating func remediationCommand(_ fields: MappingFields) -> [String]? {
        guard let node = fields["command"] else { return nil }
        guard case .sequence(let sequence) = node else {
            if case .scalar = node, !node.isNull {
                error(
                    "'command' must be a list, the program and then each argument, not a string: Kiln runs no shell, "
                        + "so nothing would split the words; write e.g. "
                        + "[sudo, systemctl, restart, \"chiller-loop@{device}\"]",
                    at: node)
            } else {
                error("expected a list for 'command', found \(node.describedForMessage)", at: node)
            }
            return nil
        }
        guard !sequence.isEmpty else {
            error("'command' is empty; name the program to run on the host", at: node)
            return nil
        }
        var command: [String] = []
        var clean = true
        for item in sequence {
            guard case .scalar(let scalar) = item, !item.isNull else {
                error("expected text in 'command', found \(item.describedForMessage)", at: item)
                clean = false
                continue
            }
            do {
                try CommandTemplate.validate(scalar.string)
            } catch {
                self.error("'command' element '\(Self.quoted(scalar.string))': \(error.description)", at: item)
                clean = false
                continue
            }
            command.append(scalar.string)
        }
        if clean, command[0].isEmpty {
            error("the first element of 'command' is the program to run; it may not be empty", at: sequence[0])
            return nil
        }
        return clean ? command : nil
    }

    private mutating func remediationVerify(_ node: Node, catalog: RemediationCatalog?) -> RemediationVerify? {
        guard let fields = fields(node, .remediationVerify) else { return nil }
        let errorsBefore = count
        var device = ""
        var tag = ""
        if let tagNode = fields["tag"], let path = text(tagNode, "tag") {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count != 2 || parts.contains(where: \.isEmpty) {
                error("'tag' of verify is DEVICE/TAG, found '\(Self.quoted(path))'", at: tagNode)
            } else if let catalog, let problem = catalog.verifyTagProblem(path) {
                error(problem, at: tagNode)
            } else {
                device = String(parts[0])
                tag = String(parts[1])
            }
        }
        let limits = ["below", "above"].filter { fields.has($0) }
        var condition: RemediationVerify.Condition?
        if limits.isEmpty {
            error("verify needs one limit: 'below' or 'above' (the value that shows the fix worked)", at: node)
        } else if limits.count > 1, let key = fields.keyNode("above") {
            error("verify takes one limit: 'below' or 'above', not both", at: key)
        } else if let below = number(fields, "below", in: NumberLimits.engineering) {
            condition = .below(below)
        } else if let above = number(fields, "above", in: NumberLimits.engineering) {
            condition = .above(above)
        }
        let within = duration(fields, "within", in: DurationLimits.verifyWithin)
        guard count == errorsBefore, let condition, let within else { return nil }
        return RemediationVerify(device: device, tag: tag, condition: condition, within: within)
    }

    // MARK: Warnings

    private mutating func warnAbout(_ rule: RemediationRule, remediation: RemediationConfig, config: GatewayConfig) {
        guard let location = rule.location else { return }
        if remediation.mode == .enforce, rule.verify == nil {
            warning(
                "rule '\(rule.name)' has no 'verify': in mode enforce nothing will check that it worked; add "
                    + "e.g. verify: { tag: DEVICE/TAG, below: N, within: 10m }",
                at: location)
        }
        // A rule on a device's comm alarm, acting on a host at the device's own address: when
        // the device stops answering, the host most likely does too.
        let parts = rule.trigger.alarm.split(separator: "/")
        if parts.count == 2, parts[1] == "comm", let host = remediation.host(named: rule.host),
            let device = config.devices.first(where: { $0.name == parts[0] }), device.host == host.address
        {
            warning(
                "rule '\(rule.name)' acts on host '\(host.name)' when device '\(device.name)' stops answering, "
                    + "and both are at \(host.address): when the device is unreachable, ssh most likely is too",
                at: location)
        }
    }
}
