import ArgumentParser
import KilnAlarms
import KilnCommandLine
import KilnCore
import KilnHistorian

#if canImport(Glibc)
    import Glibc
#endif

extension KilnCommand.Alarms {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every alarm and its state.")

        @OptionGroup var file: GatewayFileOptions

        @Flag(name: .long, help: "Only alarms not in the normal state.")
        var active = false

        func run() async throws {
            let (store, _) = try file.open()
            let records: [AlarmRecord]
            do {
                records = try store.load()
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            if records.isEmpty { printError("no alarms in the file yet (has a gateway with alarms run on it?)") }
            for r in records where !active || r.state != .normal { print(r.listLine) }
            flushOutput()
        }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ack", abstract: "Acknowledge an alarm (also the reset of a latched one).")

        @Argument(help: "An alarm path or an episode id.")
        var id: String

        @OptionGroup var file: GatewayFileOptions

        @Option(name: .long, help: "A note kept with the acknowledgement.")
        var note: String?

        func run() async throws {
            try AlarmCommandRunner.run(AlarmCommand(action: .ack, target: id, note: note, by: operatorName()), file)
        }
    }

    struct Shelve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Shelve an alarm: for a time, or (without --for) until it next returns to normal.")

        @Argument(help: "An alarm path or an episode id.")
        var id: String

        @OptionGroup var file: GatewayFileOptions

        @Option(name: .customLong("for"), help: "How long (at most alarms.max_shelve, 24h by default), e.g. 2h.")
        var duration: DurationArgument?

        @Option(name: .long, help: "Why (required).")
        var reason: String

        func run() async throws {
            try AlarmCommandRunner.run(
                AlarmCommand(
                    action: .shelve, target: id, note: reason, duration: duration?.duration, by: operatorName()), file)
        }
    }

    struct Unshelve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unshelve an alarm.")

        @Argument(help: "An alarm path or an episode id.")
        var id: String

        @OptionGroup var file: GatewayFileOptions

        func run() async throws {
            try AlarmCommandRunner.run(AlarmCommand(action: .unshelve, target: id, by: operatorName()), file)
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show alarm transitions, oldest first.")

        @OptionGroup var file: GatewayFileOptions

        @Option(
            name: .long, parsing: .unconditional,
            help: "From this time: RFC 3339, a date, now, or relative to now (-1h, -7d).")
        var from: String?

        @Option(name: .long, help: "Only this tag's alarms: DEVICE/TAG (DEVICE/ for a device's comm alarm).")
        var tag: String?

        func run() async throws {
            let (store, _) = try file.open()
            var start: Int64?
            if let from {
                guard let t = TimeExpression.parse(from, now: WallClock.epochMicroseconds()) else {
                    printError("error: --from \(from): not a time (RFC 3339, a date, now, or -1h, -7d, -30m)")
                    throw ExitCode(1)
                }
                start = t
            }
            do {
                for e in try store.history(from: start, tag: tag) {
                    var line = "\(Timestamp.rfc3339(micros: e.time))  \(e.transition.rawValue)  \(e.alarm)"
                    line += "  \(e.state.rawValue)  \(e.severity.rawValue)  \(e.episode)"
                    if let v = e.value { line += "  value=\(Value.format(v))" }
                    if let by = e.by { line += "  by=\(by)" }
                    if let note = e.note { line += "  note=\(note)" }
                    print(line)
                }
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            flushOutput()
        }
    }
}

/// `cli:<user>`.
func operatorName() -> String {
    if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return "cli:" + String(cString: name) }
    return "cli:uid\(geteuid())"
}

/// Hands a command to the running engine, or applies it to the file when none runs.
enum AlarmCommandRunner {
    /// An engine whose heartbeat is older than this is taken as gone.
    static let heartbeatFresh: Int64 = 3_000_000
    /// How long to wait for a running engine's result.
    static let wait: Int64 = 5_000_000

    static func run(_ command: AlarmCommand, _ file: GatewayFileOptions) throws {
        let (store, settings) = try file.open()
        do {
            // Refuse unknown ids and over-long shelves here, with the same words the engine uses.
            let records = try store.load()
            guard records.contains(where: { $0.path == command.target || $0.episode == command.target }) else {
                throw AlarmCommandError.unknown(command.target, among: records)
            }
            if let d = command.duration, d > settings.maxShelve {
                var probe = AlarmRecord(
                    path: command.target, name: "", kind: .process, device: nil, tag: nil, severity: .info)
                var ignored: [AlarmEvent] = []
                try probe.apply(
                    command, settings: settings, context: TransitionContext(now: WallClock.epochMicroseconds()),
                    events: &ignored)
            }
            let now = WallClock.epochMicroseconds()
            if let beat = try store.lastHeartbeat(), now - beat < heartbeatFresh {
                let id = try store.submit(command, now: now)
                while WallClock.epochMicroseconds() - now < wait {
                    if let outcome = try store.outcome(of: id) {
                        guard outcome.ok else { throw AlarmCommandError(outcome.result) }
                        print("\(command.action.rawValue) \(command.target): applied by the running gateway")
                        flushOutput()
                        return
                    }
                    usleep(20_000)
                }
                // No answer: withdraw it (unless the engine took it meanwhile) and apply it here.
                if try !store.withdraw(id, now: WallClock.epochMicroseconds()) {
                    if let outcome = try store.outcome(of: id), !outcome.ok { throw AlarmCommandError(outcome.result) }
                    print("\(command.action.rawValue) \(command.target): applied by the running gateway")
                    return
                }
            }
            let events = try store.applyDirect(command, settings: settings, now: WallClock.epochMicroseconds())
            for e in events { print("\(e.transition.rawValue) \(e.alarm): \(e.state.rawValue) (\(e.id))") }
            flushOutput()
        } catch let error as AlarmCommandError {
            printError("error: \(error.message)")
            throw ExitCode(1)
        } catch let error as ExitCode {
            throw error
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}
