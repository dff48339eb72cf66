import Foundation
import KilnCore
import KilnTestSupport
import Logging
import Synchronization
import Testing

@testable import KilnHistorian

/// Runs an external tool and returns its exit status and output. A missing tool fails the test
/// loudly: the suite never skips what it cannot check.
@discardableResult
func runTool(
    _ arguments: [String], stdin: String? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws -> (status: Int32, out: String, err: String) {
    let tool = try #require(
        which(arguments[0]),
        "\(arguments[0]) is not installed: run tools/setup.sh --tests (it installs sqlite3 and python3)",
        sourceLocation: sourceLocation)
    let dir = TempDir("tool")
    defer { dir.cleanup() }
    // Files, not pipes: a large output can never fill a pipe and block the tool.
    let outPath = dir.file("out")
    let errPath = dir.file("err")
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = Array(arguments.dropFirst())
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    process.waitUntilExit()
    let out = try String(contentsOfFile: outPath, encoding: .utf8)
    let err = try String(contentsOfFile: errPath, encoding: .utf8)
    return (process.terminationStatus, out, err)
}

/// The absolute path of an executable on PATH.
func which(_ name: String) -> String? {
    if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// The `kiln` binary built beside the test bundle.
func kilnBinary() throws -> String { try builtBinary("kiln") }

/// The `kiln-bench` binary (the benchmark drivers, outside the product) built beside the test bundle.
func kilnBenchBinary() throws -> String { try builtBinary("kiln-bench") }

let quietLogger: Logger = {
    var logger = Logger(label: "kiln.test")
    logger.logLevel = .critical
    return logger
}()

/// A small gateway: one device with a float, an int, a bool and a string tag.
func testTags(device: String = "boiler-1") -> [[TagDescriptor]] {
    [
        [
            TagDescriptor(device: device, tag: "supply_temp", unit: "degC", type: "float32"),
            TagDescriptor(device: device, tag: "run_hours", unit: "h", type: "uint32"),
            TagDescriptor(device: device, tag: "burner_on", type: "bool"),
            TagDescriptor(device: device, tag: "model", type: "string"),
        ]
    ]
}

/// 2026-01-01T00:00:00Z in µs.
let jan1: Int64 = 1_767_225_600_000_000
let second: Int64 = 1_000_000
let hour: Int64 = 3_600_000_000

func sample(_ tag: Int, _ time: Int64, _ value: Value?, raw: Value? = nil, status: StatusCode = .good) -> Sample {
    Sample(device: 0, tag: tag, value: value, raw: raw ?? value, status: status, timestamp: time)
}

/// A writer clock that reads `start` when the run opens and `stop` from then on, so that a
/// history written at made-up times has a run around it (the real clock would put it in 2026-12).
final class RunClock: EpochClock {
    private let calls = Atomic<Int>(0)
    let start: Int64
    let stop: Int64

    init(start: Int64, stop: Int64) {
        self.start = start
        self.stop = stop
    }

    var now: EpochInstant {
        EpochInstant(microseconds: calls.add(1, ordering: .relaxed).oldValue == 0 ? start : stop)
    }
    var minimumResolution: Duration { .microseconds(1) }
    func sleep(until deadline: EpochInstant, tolerance: Duration?) async throws {
        try await Task.sleep(for: .milliseconds(1))
    }
}

/// Writes `batches` through a real writer into the file at `path` and stops it. `clock` is the
/// writer's clock (when its run starts and stops); the wall clock when nil.
@discardableResult
func writeThroughWriter(
    _ path: String, tags: [[TagDescriptor]] = testTags(), filters: [[TagHistorianConfig?]] = [],
    batches: [[Sample]], options: HistorianWriter.Options = HistorianWriter.Options(),
    clock: (any EpochClock)? = nil
) throws -> HistorianStatistics {
    let store = try SQLiteStore(path: path)
    let writer = HistorianWriter(
        store: store, tags: tags, filters: filters, options: options, logger: quietLogger,
        clock: clock ?? WallClock())
    try writer.start()
    for batch in batches { writer.submitWaiting(batch) }
    writer.stop()
    return writer.statistics
}

extension HistoryReader {
    func tag(_ path: String) throws -> TagInfo {
        guard let tag = try tags().first(where: { $0.path == path }) else { throw HistorianError("no tag \(path)") }
        return tag
    }
}

/// Bit-for-bit equality of stored numbers (NaN payloads and -0.0 included).
func sameBits(_ a: StoredValue?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (.number(let x)?, let y?): x.bitPattern == y.bitPattern
    case (.integer(let x)?, let y?): Double(x).bitPattern == y.bitPattern
    default: false
    }
}
