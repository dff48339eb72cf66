import Foundation
import KilnCore
import KilnTestSupport
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

let quietLogger = Logger(label: "kiln.gateway.tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Checks `condition` every 5 ms until it holds or `timeout` passes; returns whether it held.
/// Waiting for an outcome, never asserting how long it took.
func eventually(timeout: Duration = .seconds(30), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        usleep(5_000)
    }
}

/// `eventually` for async tests: sleeps between checks instead of blocking a thread of the
/// cooperative pool (two on a two-core machine), which the code under test may need.
func waitUntil(timeout: Duration = .seconds(90), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(5))
    }
}

/// A tag as the pipeline tests need it: a numeric holding register polled every `poll`.
func tag(_ name: String, address: Int = 0, poll: Duration = .milliseconds(100)) -> TagConfig {
    TagConfig(name: name, register: .holding, address: address, type: .float32, poll: poll)
}

func device(_ name: String, port: Int = 1, tags: [TagConfig]) -> DeviceConfig {
    DeviceConfig(name: name, host: "127.0.0.1", port: port, tags: tags)
}

/// The `kiln` executable built with the tests.
func kilnBinary() throws -> String { try builtBinary("kiln") }

/// The absolute path of a tool on PATH, or nil.
func which(_ tool: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(dir)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// Runs a tool to its end, its output in files (a large output never fills a pipe).
func runTool(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, out: String, err: String) {
    let tool = try #require(
        which(arguments[0]) ?? (arguments[0].hasPrefix("/") ? arguments[0] : nil),
        "\(arguments[0]) is not installed: run tools/setup.sh --tests")
    let dir = TempDir("tool")
    defer { dir.cleanup() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = Array(arguments.dropFirst())
    _ = FileManager.default.createFile(atPath: dir.file("out"), contents: nil)
    _ = FileManager.default.createFile(atPath: dir.file("err"), contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("out")))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("err")))
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    process.waitUntilExit()
    return (
        process.terminationStatus, try String(contentsOfFile: dir.file("out"), encoding: .utf8),
        try String(contentsOfFile: dir.file("err"), encoding: .utf8)
    )
}

/// A child process writing its output to a log file; killed when the test ends if still running.
final class Child {
    let process = Process()
    let log: String

    init(_ arguments: [String], log: String) throws {
        self.log = log
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    func signal(_ signo: Int32) { if process.isRunning { kill(process.processIdentifier, signo) } }

    /// Waits up to `timeout` for the exit; its status, or nil when it still runs.
    func wait(timeout: Duration) -> Int32? {
        guard eventually(timeout: timeout, { !process.isRunning }) else { return nil }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
