import ArgumentParser
import KilnCommandLine
import KilnConfig
import KilnCore

extension KilnCommand {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate device maps and gateway configs.",
            discussion: """
                Reports every problem as FILE:LINE:COLUMN: error: MESSAGE (and warnings as \
                FILE:LINE:COLUMN: warning: MESSAGE) on standard error and, for each clean file, a \
                summary on standard output: devices, tags, alarms per device, each hook with its \
                target (never its secret), and the remediation block: its mode, hosts and each rule's \
                trigger, host and exact argv template. Each hook's secret_env must be set and each \
                secret_file, like each remediation identity_file, must be a readable regular file of \
                mode 0600 owned by Kiln's user; each known_hosts file must hold a host key and not be \
                writable by others, as `kiln run` requires; so must the http token_file and TLS key \
                (0600), each token at least 16 characters. Exits 0 when \
                every file is clean (warnings allowed) and 1 otherwise.
                """
        )

        @Argument(help: "Device maps or gateway configs to check.")
        var files: [String]

        func run() async throws {
            var failed = false
            for file in files {
                do {
                    let checked = try ConfigLoader.check(path: file)
                    let secrets =
                        HookSecrets.check(checked.config) + RemediationFiles.check(checked.config)
                        + HTTPFiles.check(checked.config)
                    let summary = CheckSummary(checked.config)
                    if secrets.isEmpty {
                        print("\(file): ok (\(summary.counts))")
                    } else {
                        failed = true
                        print("\(file): \(count(secrets.count, "file problem")) (\(summary.counts))")
                    }
                    for line in summary.details { print("  " + line) }
                    flushOutput()
                    let diagnostics = (checked.warnings + secrets).sorted {
                        ($0.location.file, $0.location.line, $0.location.column)
                            < ($1.location.file, $1.location.line, $1.location.column)
                    }
                    for diagnostic in diagnostics { printError(diagnostic.description) }
                } catch {
                    failed = true
                    for diagnostic in error.diagnostics { printError(diagnostic.description) }
                }
            }
            if failed { throw ExitCode(1) }
        }
    }
}

/// What `kiln check` prints for a file that loaded.
struct CheckSummary {
    var counts: String
    var details: [String] = []

    init(_ config: GatewayConfig) {
        let tags = config.devices.reduce(0) { $0 + $1.tags.count }
        let alarmsPerDevice = config.devices.map { device in
            (device.name, device.tags.reduce(0) { $0 + $1.alarms.count })
        }
        let alarms = alarmsPerDevice.reduce(0) { $0 + $1.1 }
        var parts = [count(config.devices.count, "device"), count(tags, "tag"), count(alarms, "alarm")]
        if !config.hooks.isEmpty { parts.append(count(config.hooks.count, "hook")) }
        counts = parts.joined(separator: ", ")
        let withAlarms = alarmsPerDevice.filter { $0.1 > 0 }
        if !withAlarms.isEmpty {
            details.append("alarms: " + withAlarms.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
        }
        for hook in config.hooks { details.append(Self.describe(hook)) }
        if let remediation = config.remediation { details += Self.describe(remediation) }
        if let http = config.http {
            var line = "http: \(http.tls == nil ? "http" : "https")://\(http.listenText)"
            line +=
                http.tokenFile.map { ", tokens in \($0)" }
                ?? ", no token_file (only /healthz, /readyz and the page answer)"
            details.append(line)
        }
    }

    /// `remediation: mode enforce, at most 6 runs an hour`, then each host and each rule with its
    /// exact argv template (never a key's contents).
    static func describe(_ remediation: RemediationConfig) -> [String] {
        var lines = [
            "remediation: mode \(remediation.mode.rawValue), at most \(count(remediation.maxPerHour, "run")) an hour"
        ]
        for host in remediation.hosts {
            let address = host.address.contains(":") ? "[\(host.address)]" : host.address
            lines.append(
                "  host \(host.name): \(host.user)@\(address):\(host.port), key \(host.identityFile), "
                    + "pinned by \(host.knownHosts), at most \(host.maxConcurrent) at a time")
        }
        for rule in remediation.rules {
            var text =
                "  rule \(rule.name): \(rule.trigger.alarm) for \(DurationText.format(rule.trigger.persists)) → "
                + "\(rule.host): \(RemediationArgv.shown(rule.command))"
            text += "; timeout \(DurationText.format(rule.timeout)), cooldown \(DurationText.format(rule.cooldown))"
            text += ", \(count(rule.maxAttempts, "attempt"))"
            if let verify = rule.verify {
                let condition: String
                switch verify.condition {
                case .below(let limit): condition = "below \(Value.format(limit))"
                case .above(let limit): condition = "above \(Value.format(limit))"
                }
                text +=
                    "; verify \(verify.device)/\(verify.tag) \(condition) within \(DurationText.format(verify.within))"
            }
            lines.append(text)
        }
        return lines
    }

    /// `hook ops: webhook to https://ops.example/kiln, signed (secret_env KILN_OPS_SECRET), min_severity minor`.
    static func describe(_ hook: HookConfig) -> String {
        var target: String
        switch hook.kind {
        case .exec: target = "runs " + hook.command.joined(separator: " ")
        default: target = "to " + Self.withoutQuery(hook.url ?? "")
        }
        switch hook.secret {
        case .environment(let name)?:
            target += hook.kind == .pagerduty ? ", routing key from env \(name)" : ", signed with env \(name)"
        case .file(let path)?:
            target += hook.kind == .pagerduty ? ", routing key from file \(path)" : ", signed with file \(path)"
        case nil:
            if hook.kind == .webhook { target += ", unsigned" }
        }
        var filters = ["min_severity \(hook.filter.minSeverity.rawValue)"]
        if !hook.filter.devices.isEmpty { filters.append("devices " + hook.filter.devices.joined(separator: " ")) }
        if !hook.filter.tags.isEmpty { filters.append("tags " + hook.filter.tags.joined(separator: " ")) }
        if let transitions = hook.filter.transitions {
            filters.append("transitions " + transitions.map(\.rawValue).sorted().joined(separator: " "))
        }
        return "hook \(hook.name): \(hook.kind.rawValue) \(target); " + filters.joined(separator: ", ")
    }

    /// A URL without its query and fragment, where a token might be.
    private static func withoutQuery(_ url: String) -> String {
        String(url.prefix { $0 != "?" && $0 != "#" })
    }
}

private func count(_ n: Int, _ noun: String) -> String {
    n == 1 ? "1 \(noun)" : "\(n) \(noun)s"
}

/// How `kiln check` shows a rule's argv: a JSON-like list, each element quoted, so that spaces
/// and quotes inside an element stay visible.
enum RemediationArgv {
    static func shown(_ argv: [String]) -> String {
        "["
            + argv.map { "\"" + $0.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\"" }
            .joined(separator: ", ") + "]"
    }
}
