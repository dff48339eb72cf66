import ArgumentParser
import KilnAlarms
import KilnCommandLine
import KilnCore
import KilnRemediation
import KilnSQLite

#if canImport(Glibc)
    import Glibc
#endif

extension KilnCommand {
    /// `kiln remediation`: the operator's view of the remediation queue and its audit log.
    struct Remediation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remediation",
            abstract: "List remediation runs, approve or reject them, read and verify the audit log.",
            discussion: """
                Acts on the SQLite file of a gateway (the historian's, named by a gateway config or \
                given with --db), while `kiln run` may be running on it: a running gateway sees an \
                approval within half a second. A run that waits for approval (`mode: approve`) runs \
                only once approved, and never earlier than its rule's cooldown allows. Exits 1 on an \
                unknown ID, a run in the wrong state, or a broken audit chain.
                """,
            subcommands: [List.self, Approve.self, Reject.self, Audit.self, RunRule.self]
        )
    }
}

/// The remediation tables of a gateway's file; exits 1 with a clear message.
enum RemediationFile {
    static func open(_ file: GatewayFileOptions) throws -> (db: Connection, config: GatewayConfig?) {
        let (path, config) = try file.resolve()
        do {
            let db = try Connection(path: path, create: false)
            try db.execute("PRAGMA busy_timeout = 5000")
            guard try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'remediation_runs'") == 1 else {
                printError(
                    "error: \(path) has no remediation queue yet (has a gateway with a `remediation:` block run on it?)"
                )
                throw ExitCode(1)
            }
            return (db, config)
        } catch let error as ExitCode {
            throw error
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }

    /// A run ID as typed; exits 1 for anything but a positive integer.
    static func id(_ text: String) throws -> Int64 {
        guard let id = Int64(text), id > 0 else {
            printError(
                "error: \(text.debugDescription) is not a run ID (a positive number, as `kiln remediation list` shows)")
            throw ExitCode(1)
        }
        return id
    }
}

extension RunRow {
    /// One line of `kiln remediation list`.
    var listLine: String {
        var line = "#\(id)  "
        if state == .done, let outcome {
            line += "done:\(outcome.rawValue)"
        } else {
            line += state.rawValue
        }
        line += "  \(rule) -> \(host)  alarm=\(alarm)  episode=\(episode)  attempt=\(attempt)  mode=\(mode.rawValue)"
        switch state {
        case .awaitingApproval, .queued: line += "  due=\(Timestamp.rfc3339(micros: due))"
        case .running: if let started { line += "  started=\(Timestamp.rfc3339(micros: started))" }
        case .verifying: if let verifyUntil { line += "  verify_until=\(Timestamp.rfc3339(micros: verifyUntil))" }
        case .done: if let ended { line += "  ended=\(Timestamp.rfc3339(micros: ended))" }
        }
        if let exitCode { line += "  exit=\(exitCode)" }
        if let decidedBy { line += "  by=\(decidedBy)" }
        line += "  argv=\(AuditEntry.json(argv))"
        if let detail { line += "  (\(detail))" }
        return line
    }
}

extension KilnCommand.Remediation {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the runs not done (waiting for approval, queued, running, verifying), then recent ones.")

        @OptionGroup var file: GatewayFileOptions

        @Option(name: .long, help: "How many finished runs to show after the open ones.")
        var recent = 20

        func run() async throws {
            let (db, _) = try RemediationFile.open(file)
            do {
                let open = try RunQueueOperators.open(db: db)
                let done = try RunQueueOperators.recent(db: db, limit: max(0, recent) + open.count)
                    .filter { $0.state == .done }.prefix(max(0, recent))
                if open.isEmpty && done.isEmpty { printError("no remediation runs yet") }
                for r in open { print(r.listLine) }
                for r in done { print(r.listLine) }
                flushOutput()
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a run that waits for approval: it runs as soon as its cooldown and host allow.")

        @Argument(help: "The run's ID (kiln remediation list).")
        var id: String

        @OptionGroup var file: GatewayFileOptions

        @Option(name: .long, help: "A note kept in the audit log.")
        var note: String?

        func run() async throws {
            let id = try RemediationFile.id(id)
            let (db, _) = try RemediationFile.open(file)
            do {
                let r = try RunQueueOperators.approve(
                    db: db, id: id, by: operatorName(), note: note, now: WallClock.epochMicroseconds())
                print("approved run \(r.id): \(r.rule) on \(r.host) will run \(AuditEntry.json(r.argv))")
                flushOutput()
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a run that waits for approval.")

        @Argument(help: "The run's ID (kiln remediation list).")
        var id: String

        @OptionGroup var file: GatewayFileOptions

        @Option(name: .long, help: "Why (kept in the audit log).")
        var note: String?

        func run() async throws {
            let id = try RemediationFile.id(id)
            let (db, _) = try RemediationFile.open(file)
            do {
                let r = try RunQueueOperators.reject(
                    db: db, id: id, by: operatorName(), note: note, now: WallClock.epochMicroseconds())
                print("rejected run \(r.id): \(r.rule) on \(r.host)")
                flushOutput()
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
