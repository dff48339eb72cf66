import ArgumentParser
import KilnConfig
import KilnCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A duration on the command line in the maps' syntax (`5s`, `500ms`), as `kiln` takes it.
struct DurationArgument: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let duration: Duration

    init(_ duration: Duration) { self.duration = duration }

    init?(argument: String) {
        guard let d = DurationText.parse(argument) else { return nil }
        duration = d
    }

    var description: String { DurationText.format(duration) }
    var defaultValueDescription: String { description }
}

/// Loads a map or gateway config; on errors prints every diagnostic and exits 1.
func loadConfiguration(_ path: String) throws -> GatewayConfig {
    do {
        return try ConfigLoader.load(path: path)
    } catch {
        printError(error.description)
        throw ExitCode(1)
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    flushOutput()
    var line = text + "\n"
    line.withUTF8 { bytes in
        var rest = UnsafeRawBufferPointer(bytes)
        while !rest.isEmpty {
            let n = write(2, rest.baseAddress, rest.count)
            if n <= 0 { return }
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
    }
}

/// Flushes standard output so piped readers see each line at once.
func flushOutput() {
    fflush(nil)
}

/// The signal (SIGINT or SIGTERM) that asked the benchmark to stop, or 0. A lock-free atomic
/// store is async-signal-safe, so the handler may set it directly.
private let raisedSignal = Atomic<Int32>(0)

/// SIGINT and SIGTERM as a flag the ingest loop polls, so it stops and flushes cleanly.
enum StopSignal {
    /// Starts catching SIGINT and SIGTERM.
    static func install() {
        for signo in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signo in raisedSignal.store(signo, ordering: .relaxed) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signo, &action, nil)
        }
    }

    /// The signal that asked to stop, or nil.
    static var received: Int32? {
        let s = raisedSignal.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }
}
