import Foundation

/// What a finished program left.
public struct ProgramOutput: Sendable {
    public var status: Int32
    /// Killed by a signal (a crash, a trap) rather than exited.
    public var signaled: Bool
    public var stdout: String
    public var stderr: String
}

/// A program that did not end in time.
public struct ProgramTimeout: Error, CustomStringConvertible {
    public let description: String
}

/// Runs `executable` with `arguments` to its end (killed past `timeout`), its output in files
/// (no pipe to fill), waiting without blocking the cooperative pool.
public func runProgram(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, input: String? = nil,
    timeout: Duration = .seconds(120)
) async throws -> ProgramOutput {
    let dir = TempDir("program")
    defer { dir.cleanup() }
    if let input { try input.write(toFile: dir.file("in"), atomically: false, encoding: .utf8) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    for name in ["out", "err"] { _ = FileManager.default.createFile(atPath: dir.file(name), contents: nil) }
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("out")))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("err")))
    process.standardInput =
        input == nil ? FileHandle.nullDevice : try FileHandle(forReadingFrom: URL(fileURLWithPath: dir.file("in")))
    try process.run()
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
        if ContinuousClock.now > deadline {
            process.terminate()
            throw ProgramTimeout(
                description: "\(executable) \(arguments.joined(separator: " ")) did not end in \(timeout)")
        }
        try await Task.sleep(for: .milliseconds(10))
    }
    return ProgramOutput(
        status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
        stdout: (try? String(contentsOfFile: dir.file("out"), encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: dir.file("err"), encoding: .utf8)) ?? "")
}

/// Runs the built `kiln` (see ``builtBinary(_:file:)``).
public func runKilnBinary(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> ProgramOutput {
    try await runProgram(try builtBinary("kiln"), arguments, timeout: timeout)
}

/// A tool the tests need is not installed.
public struct MissingTool: Error, CustomStringConvertible {
    public let description: String
}

/// `promtool check metrics` on a Prometheus text exposition (Debian `prometheus`); a missing
/// promtool throws, it does not skip.
public func promtoolCheckMetrics(_ exposition: String) async throws -> ProgramOutput {
    guard
        let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        })
    else {
        throw MissingTool(description: "promtool is not installed: run tools/setup.sh --tests (Debian prometheus)")
    }
    return try await runProgram(promtool, ["check", "metrics"], input: exposition)
}
