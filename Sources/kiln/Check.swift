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
                summary on standard output: devices, tags, alarms per device, and each hook with its \
                target (never its secret). Each hook's secret_env must be set and each secret_file \
                must be a readable regular file of mode 0600, as `kiln run` requires. Exits 0 when \
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
                    let secrets = HookSecrets.check(checked.config)
                    let summary = CheckSummary(checked.config)
                    if secrets.isEmpty {
                        print("\(file): ok (\(summary.counts))")
                    } else {
                        failed = true
                        print("\(file): \(count(secrets.count, "secret problem")) (\(summary.counts))")
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
