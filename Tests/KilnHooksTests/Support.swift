import AsyncHTTPClient
import Foundation
import KilnAlarms
import KilnCore
import KilnHooks
import KilnSQLite
import KilnTestSupport
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The package root and its test peers.
enum Repository {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let receiver = root + "/tools/testpeers/hook_receiver.py"

    /// The `kiln` executable built with the tests.
    static func kiln() throws -> String { try builtBinary("kiln") }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A child process (a receiver, Alertmanager), killed when the object goes away.
///
/// Nothing here blocks a thread of Swift's cooperative pool (the whole suite shares its two
/// threads on this machine): output is read on a thread of its own, and readiness is awaited.
final class Peer: @unchecked Sendable {
    // @unchecked: Process is used from the test's task only; deinit kills it. `seen` is behind a Mutex.
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    private final class Seen: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }
    private let seen = Seen()

    init(_ arguments: [String], log: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardInput = input
        // A peer that logs freely (Alertmanager) writes to a file, not a pipe it could fill.
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = output
            process.standardError = output
            let handle = output.fileHandleForReading
            Thread.detachNewThread { [seen] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { return }
                    seen.bytes.withLock { $0 += chunk }
                }
            }
        }
        try process.run()
    }

    /// Waits for `line` in the peer's output.
    func ready(_ line: String = "READY", timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !seen.bytes.withLock({ String(decoding: $0, as: UTF8.self) }).contains(line) {
            if ContinuousClock.now > deadline || !process.isRunning {
                let text = seen.bytes.withLock { String(decoding: $0, as: UTF8.self) }
                throw Failure("\(process.executableURL?.path ?? "") did not start: \(text)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    var pid: Int32 { process.processIdentifier }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? input.fileHandleForWriting.close()
    }

    deinit { stop() }

    /// The hook receiver on `port`, once it listens.
    static func receiver(
        port: Int, mode: String = "webhook", log: String? = nil, extra: [String] = []
    ) async throws -> Peer {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            throw Failure("python3 is missing: run tools/setup.sh --tests")
        }
        var args = ["/usr/bin/python3", Repository.receiver, "--port", "\(port)", "--mode", mode]
        if let log { args += ["--log", log] }
        let peer = try Peer(args + extra)
        try await peer.ready()
        return peer
    }

    /// Waits (off the cooperative pool) for the process to end; its status.
    func exit(timeout: Duration = .seconds(120)) async throws -> (status: Int32, signaled: Bool) {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline { throw Failure("\(process.executableURL?.path ?? "") did not end") }
            try await Task.sleep(for: .milliseconds(20))
        }
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }
}

/// Runs the built `kiln` with `arguments`, waiting without blocking the cooperative pool.
func runKiln(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
    let dir = TempDir()
    defer { dir.cleanup() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try Repository.kiln())
    process.arguments = arguments
    for name in ["out", "err"] { _ = FileManager.default.createFile(atPath: dir.file(name), contents: nil) }
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("out")))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("err")))
    try process.run()
    let deadline = ContinuousClock.now + .seconds(120)
    while process.isRunning {
        if ContinuousClock.now > deadline {
            process.terminate()
            throw Failure("kiln \(arguments.joined(separator: " ")) did not end")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    return (
        process.terminationStatus, (try? String(contentsOfFile: dir.file("out"), encoding: .utf8)) ?? "",
        (try? String(contentsOfFile: dir.file("err"), encoding: .utf8)) ?? ""
    )
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
func waitUntil(
    _ what: String, timeout: Duration = .seconds(120), _ condition: () throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        if ContinuousClock.now > deadline { throw Failure("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// GETs `url`; nil when nothing answers.
func httpGet(_ url: String) async -> (status: Int, body: [UInt8])? {
    let request = HTTPClientRequest(url: url)
    guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)),
        let body = try? await response.body.collect(upTo: 1 << 22)
    else { return nil }
    return (Int(response.status.code), Array(body.readableBytesView))
}

/// The JSON lines a receiver logged.
func records(_ path: String) -> [[String: Any]] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

/// An event of episode `episode`, number `seq`.
func event(
    episode: String = "ep1", seq: Int = 1, transition: AlarmTransition = .activated,
    state: AlarmState = .activeUnacknowledged, severity: AlarmSeverity = .major, message: String? = nil,
    time: Int64 = WallClock.epochMicroseconds()
) -> AlarmEvent {
    AlarmEvent(
        id: "evt_\(episode)_\(seq)", transition: transition, episode: episode, alarm: "boiler-1/supply_temp/high",
        name: "high", kind: .process, device: "boiler-1", tag: "supply_temp", severity: severity, state: state,
        value: 86.25, limit: 85, status: "Good", message: message ?? "boiler-1/supply_temp above 85: 86.25",
        time: time, sampleTime: time - 1000, activeSince: time)
}

/// Writes events to the outbox of a fresh file.
struct Outbox {
    let dir = TempDir()
    let path: String
    let hooks: [HookConfig]

    /// A fresh file, or the one at `path`.
    init(hooks: [HookConfig], path: String? = nil) throws {
        self.hooks = hooks
        self.path = path ?? dir.file("kiln.sqlite")
        _ = try OutboxStore(path: self.path)
    }

    func enqueue(_ events: [AlarmEvent], onlyHook: String? = nil) throws {
        let store = try OutboxStore(path: path)
        try store.transaction { () throws(SQLiteError) in
            let writer = try OutboxWriter(connection: store.connection, hooks: hooks)
            for e in events { try writer.enqueue(e, onlyHook: onlyHook) }
        }
    }

    func scalar(_ sql: String) throws -> Int64? {
        try connection().scalar(sql)
    }

    /// A connection of the test's own that waits for the senders' writes.
    func connection() throws -> Connection {
        let c = try Connection(path: path)
        try c.execute("PRAGMA busy_timeout = 5000")
        return c
    }
}

/// Fast retries for tests.
let quick = DeliverySettings(
    backoffBase: .milliseconds(50), backoffCap: .milliseconds(200), idlePoll: .milliseconds(100))

let testLogger: Logger = {
    var logger = Logger(label: "kiln.hooks.test")
    logger.logLevel = .critical
    return logger
}()

/// Runs `service` until the returned task is cancelled.
func start(_ service: HookDeliveryService) -> Task<Void, Never> {
    Task { try? await service.run() }
}
