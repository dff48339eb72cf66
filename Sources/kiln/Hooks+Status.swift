import ArgumentParser
import Foundation
import KilnCommandLine
import KilnCore
import KilnHooks

extension KilnCommand.Hooks {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Per hook: events pending, the oldest one's age, attempts, last error and success, dead letters.",
            discussion: """
                Reads the outbox of a gateway's SQLite file, while `kiln run` may be delivering from it. \
                With --dead, lists the dead letters (events undelivered past their hook's max_age). \
                Exits 1 when the file cannot be read.
                """
        )

        @OptionGroup var target: HooksTarget

        @Flag(name: .long, help: "List the dead letters.")
        var dead = false

        func run() async throws {
            let (hooks, path) = try target.resolve()
            guard FileManager.default.fileExists(atPath: path) else {
                printError("error: no database at \(path)")
                throw ExitCode(1)
            }
            do {
                let store = try OutboxStore(path: path)
                let now = WallClock.epochMicroseconds()
                let all = try store.status(hooks: hooks.map(\.name))
                if all.isEmpty { print("no hooks") }
                for s in all {
                    var line = "\(s.hook): \(s.disabled ? "DISABLED" : "enabled"), \(s.pending) pending"
                    if let oldest = s.oldestPending { line += " (oldest \(Self.age(now - oldest)) old)" }
                    line += ", \(s.attempts) attempts, \(s.delivered) delivered, \(s.dead) dead"
                    if let success = s.lastSuccess { line += ", last success \(Timestamp.rfc3339(micros: success))" }
                    print(line)
                    if let reason = s.disabledReason, s.disabled { print("  disabled: \(reason)") }
                    if let error = s.lastError {
                        print("  last error \(s.lastErrorAt.map { Timestamp.rfc3339(micros: $0) } ?? ""): \(error)")
                    }
                }
                if dead {
                    let letters = try store.deadLetters(hook: nil)
                    print(letters.isEmpty ? "no dead letters" : "dead letters:")
                    for (row, error) in letters {
                        print(
                            "  \(row.hook) \(row.event) created \(Timestamp.rfc3339(micros: row.created)) "
                                + "after \(row.attempts) attempts: \(error ?? "")")
                    }
                }
            } catch {
                printError("error: \(path): \(error)")
                throw ExitCode(1)
            }
        }

        static func age(_ micros: Int64) -> String {
            let s = max(0, micros / 1_000_000)
            if s < 120 { return "\(s)s" }
            if s < 7200 { return "\(s / 60)m" }
            return "\(s / 3600)h"
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "enable",
            abstract: "Turn a hook disabled by 410 Gone back on (a running gateway resumes within a second)."
        )

        @Argument(help: "The hook's name.")
        var name: String

        @OptionGroup var target: HooksTarget

        func run() async throws {
            let (hooks, path) = try target.resolve()
            do {
                if !hooks.isEmpty { _ = try HookTestRun.hook(named: name, in: hooks) }
                let store = try OutboxStore(path: path)
                try store.setDisabled(name, false, reason: nil)
                print("hook \(name) enabled")
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
