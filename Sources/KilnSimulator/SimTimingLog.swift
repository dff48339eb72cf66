import Foundation
import Synchronization

/// The request timing log (`--timing-log`): one line per received request,
/// `conn_id unit monotonic_ns`, so a benchmark can measure poll-period jitter at the server.
///
/// Connections buffer their lines (``Buffer``) and hand them over in batches, so logging costs a
/// request no lock and no system call; everything is written by the time the server stops.
final class SimTimingLog: Sendable {
    /// One connection's pending lines.
    struct Buffer {
        fileprivate var text = ""
        fileprivate var lines = 0

        mutating func append(connection: Int, unit: UInt8, nanoseconds: Int64) {
            text += "\(connection) \(unit) \(nanoseconds)\n"
            lines += 1
        }

        var isFull: Bool { lines >= 4096 }
    }

    private struct File: ~Copyable {
        let handle: UnsafeMutablePointer<FILE>
        deinit { fclose(handle) }
    }

    private let file: Mutex<File>

    /// Creates (or truncates) the log at `path`.
    init(path: String) throws(SimulatorError) {
        guard let handle = fopen(path, "w") else {
            let code = errno
            throw SimulatorError(.timingLogFailed, "cannot write timing log \(path): \(SimThread.errorText(code))")
        }
        file = Mutex(File(handle: handle))
    }

    /// Appends a connection's pending lines and empties its buffer.
    func write(_ buffer: inout Buffer) {
        guard buffer.lines > 0 else { return }
        let text = buffer.text
        file.withLock { file in _ = fputs(text, file.handle) }
        buffer = Buffer()
    }

    /// Pushes everything written so far to the file.
    func flush() {
        file.withLock { file in _ = fflush(file.handle) }
    }
}
