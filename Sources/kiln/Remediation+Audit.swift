import ArgumentParser
import KilnAlarms
import KilnCommandLine
import KilnCore
import KilnRemediation
import KilnSQLite

extension AuditEntry {
    /// One line of `kiln remediation audit`.
    var listLine: String {
        var line = "\(seq)  \(Timestamp.rfc3339(micros: time))  \(outcome.rawValue)  rule=\(rule)"
        if let run { line += "  run=#\(run)" }
        if let host { line += "  host=\(host)" }
        if let episode { line += "  episode=\(episode)" }
        if let fingerprint { line += "  key=\(fingerprint)" }
        if let exitCode { line += "  exit=\(exitCode)" }
        if let by { line += "  by=\(by)" }
        if let argv { line += "  argv=\(AuditEntry.json(argv))" }
        if let detail { line += "  (\(detail))" }
        line += "  sha256=\(hash.prefix(16))"
        return line
    }

    /// `--entry N`: everything the entry holds.
    var fullText: String {
        var lines = [listLine, "  prev_hash: \(previousHash)", "  hash:      \(hash)"]
        if let started { lines.append("  started: \(Timestamp.rfc3339(micros: started))") }
        if let ended { lines.append("  ended:   \(Timestamp.rfc3339(micros: ended))") }
        for (name, output) in [("stdout", stdout), ("stderr", stderr)] where !output.head.isEmpty {
            lines.append("  \(name) (first \(output.head.count) bytes):")
            lines.append(Self.printable(output.head))
            if !output.tail.isEmpty {
                lines.append("  \(name) (last \(output.tail.count) bytes):")
                lines.append(Self.printable(output.tail))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Output as text, control characters but newline and tab escaped (a hostile host's bytes
    /// must not drive the operator's terminal).
    static func printable(_ bytes: [UInt8]) -> String {
        var out = ""
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            if scalar == "\n" || scalar == "\t"
                || (scalar.value >= 0x20 && scalar.value != 0x7f && !(0x80..<0xa0).contains(scalar.value))
            {
                out.unicodeScalars.append(scalar)
            } else {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        return "    " + out.replacing("\n", with: "\n    ")
    }
}

extension KilnCommand.Remediation {
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the audit log; with --verify, check its hash chain (exit 1 naming the first broken entry).")

        @OptionGroup var file: GatewayFileOptions

        @Option(name: .long, help: "How many of the latest entries to list.")
        var limit = 50

        @Option(name: .long, help: "Show one entry in full, with its output.")
        var entry: Int64?

        @Flag(name: .long, help: "Check the whole chain: every entry's hash and link, and the head.")
        var verify = false

        func run() async throws {
            let (db, _) = try RemediationFile.open(file)
            do {
                if let entry {
                    guard let e = try AuditLog.entries(db, after: entry - 1, limit: 1).first, e.seq == entry else {
                        printError("error: no audit entry \(entry)")
                        throw ExitCode(1)
                    }
                    print(e.fullText)
                } else {
                    let last = try db.scalar("SELECT max(seq) FROM remediation_audit") ?? 0
                    for e in try AuditLog.entries(db, after: max(0, last - Int64(max(0, limit)))) { print(e.listLine) }
                }
                flushOutput()
                guard verify else { return }
                let v = try AuditLog.verify(db)
                if let broken = v.brokenAt {
                    printError(
                        "audit chain BROKEN at entry \(broken): \(v.reason ?? "") (\(v.count) entries before it hold)")
                    throw ExitCode(1)
                }
                print("audit chain holds: \(v.count) entries")
                flushOutput()
            } catch let error as ExitCode {
                throw error
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct RunRule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Render a rule's command as the gateway would run it now, and record it; runs nothing.",
            discussion: """
                Only --dry-run: a real run comes from the gateway, when the rule's alarm has persisted, \
                inside its cooldown, attempts and breaker. The placeholders take the alarm's current \
                episode and value when it is active, else they stay empty.
                """)

        @Argument(help: "The rule's name.")
        var rule: String

        @OptionGroup var file: GatewayFileOptions

        @Flag(name: .long, help: "Required: render and record, run nothing.")
        var dryRun = false

        func run() async throws {
            guard dryRun else {
                printError("error: `kiln remediation run` only renders (--dry-run); the gateway runs rules itself")
                throw ExitCode(1)
            }
            let (db, config) = try RemediationFile.open(file)
            guard let remediation = config?.remediation else {
                printError("error: give the gateway config that has the `remediation:` block (not --db)")
                throw ExitCode(1)
            }
            guard let rule = remediation.rules.first(where: { $0.name == self.rule }) else {
                let names = remediation.rules.map(\.name)
                printError(
                    "error: no rule \(self.rule.debugDescription); "
                        + (names.isEmpty ? "the config has none" : "rules: \(names.joined(separator: ", "))"))
                throw ExitCode(1)
            }
            let alarm = try? AlarmStore(path: db.path, hooks: nil, create: false).load()
                .first { $0.path == rule.trigger.alarm }
            let parts = rule.trigger.alarm.split(separator: "/").map(String.init)
            var values = ["alarm": rule.trigger.alarm, "device": parts.first ?? ""]
            if parts.count == 3 { values["tag"] = parts[1] }
            if let alarm, alarm.active {
                values["episode"] = alarm.episode ?? ""
                if let v = alarm.value { values["value"] = Value.format(v) }
            }
            do throws(any Error) {
                let argv = try CommandTemplate.render(rule.command, values: values)
                let host = remediation.host(named: rule.host)
                print(
                    "rule \(rule.name) on \(rule.host) (\(host.map { "\($0.user)@\($0.address):\($0.port)" } ?? "?"))")
                print("argv: \(AuditEntry.json(argv))")
                print("remote command line: \(RemoteShell.commandLine(argv))")
                if let host {
                    let folder =
                        remediation.controlDirectory ?? SSHControlDirectory.defaultPath(historian: db.path)
                    let ssh = SSHCommand.runArguments(
                        ssh: remediation.sshPath ?? "/usr/bin/ssh", host: host, argv: argv, timeout: rule.timeout,
                        controlPath: SSHControlDirectory.socketPath(directory: folder, host: host),
                        controlPersist: remediation.controlPersist, log: folder + "/run-N.log")
                    print("ssh command: \(RemoteShell.commandLine(ssh))")
                }
                try db.execute("BEGIN IMMEDIATE")
                do {
                    try AuditLog.append(
                        AuditEntry(
                            time: WallClock.epochMicroseconds(), rule: rule.name, episode: values["episode"],
                            host: rule.host, argv: argv, outcome: .dryRun, by: operatorName(),
                            detail: "kiln remediation run --dry-run"),
                        to: db)
                    try db.execute("COMMIT")
                } catch {
                    try? db.execute("ROLLBACK")
                    throw error
                }
                print("recorded in the audit log as dry_run; nothing ran")
                flushOutput()
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
