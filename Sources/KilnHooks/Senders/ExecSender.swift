import Foundation
import KilnAlarms
import KilnCore
import KilnProcess

/// `kind: exec`: runs a local program with the event JSON on its stdin, never through a shell.
///
/// The program is started with posix_spawn in a process group of its own; at the timeout the
/// whole group gets SIGKILL (a child it forked dies with it). Exit 0 is delivered; anything else
/// is retried. stdout and stderr are kept up to 4 KiB each for the log and `kiln hooks test`.
/// The environment is minimal: PATH, LANG=C.UTF-8, KILN_HOOK, KILN_EVENT_ID, KILN_EPISODE,
/// KILN_TRANSITION.
public struct ExecSender: HookTransport {
    let hook: String
    let command: [String]
    let timeout: Duration
    static let outputLimit = 4096

    public init(hook: String, command: [String], timeout: Duration) {
        self.hook = hook
        self.command = command
        self.timeout = timeout
    }

    public func deliver(_ row: OutboxRow, now: Int64) async -> DeliveryOutcome {
        let event = AlarmEvent(json: row.body)
        let environment = [
            "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "KILN_HOOK=\(hook)", "KILN_EVENT_ID=\(row.event)",
            "KILN_EPISODE=\(row.episode)", "KILN_TRANSITION=\(event?.transition.rawValue ?? "")",
        ]
        let command = self.command
        let timeout = self.timeout
        let body = row.body
        let outputLimit = Self.outputLimit
        return await withCheckedContinuation { (continuation: CheckedContinuation<DeliveryOutcome, Never>) in
            // The run blocks (poll and waitpid): a thread of its own, off Swift's cooperative pool.
            let thread = Thread {
                continuation.resume(
                    returning: ProcessRun.run(
                        command: command, environment: environment, stdin: body, timeout: timeout,
                        outputLimit: outputLimit
                    )
                    .outcome)
            }
            thread.name = "kiln-hook-exec"
            thread.start()
        }
    }
}

extension ProcessRun {
    /// Exit 0 is delivered with its stdout; anything else is retried with its stderr.
    var outcome: DeliveryOutcome {
        let out = String(decoding: stdout.head, as: UTF8.self)
        let err = String(decoding: stderr.head, as: UTF8.self)
        if let spawnError { return .retry(error: spawnError, retryAfter: nil) }
        if timedOut { return .retry(error: "timed out; its process group was killed. stderr: \(err)", retryAfter: nil) }
        if status == 0 { return .delivered(answer: out) }
        if let signal { return .retry(error: "killed by signal \(signal). stderr: \(err)", retryAfter: nil) }
        return .retry(error: "exit status \(status ?? -1). stderr: \(err)", retryAfter: nil)
    }
}
