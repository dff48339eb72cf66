import Foundation
import Testing

/// Every folder under `Cases/` is one run of the real `kiln replay` binary (built by `swift build`
/// before `swift test`, at `.build/debug/kiln`): `map.yaml`, `trace.csv`, `args` (the options after
/// the map, without `--input`), `expected.txt` (standard output), `expected-stderr.txt` and
/// `exit-code`. The command runs in the case's folder, so paths in messages are relative. Adding a
/// case is adding a folder.
struct ReplayGoldenTests {
    static let casesDirectory = Bundle.module.resourceURL!.appendingPathComponent("Cases")

    static let kiln = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/kiln")

    static var caseNames: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: casesDirectory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func casesArePresent() {
        #expect(Self.caseNames.count >= 6)
    }

    @Test(arguments: caseNames)
    func replay(_ name: String) throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.kiln.path), "run `swift build` first: \(Self.kiln.path)")
        let folder = Self.casesDirectory.appendingPathComponent(name)
        func read(_ file: String) throws -> String {
            try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        }
        let args = try read("args").split(whereSeparator: \.isWhitespace).map(String.init)
        let result = try Self.runKiln(["replay", "map.yaml"] + args + ["--input", "trace.csv"], in: folder)
        #expect(result.stdout == (try read("expected.txt")), "case \(name): stdout")
        #expect(result.stderr == (try read("expected-stderr.txt")), "case \(name): stderr")
        let exitCode = try read("exit-code").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(String(result.status) == exitCode, "case \(name): exit code")
    }

    /// Runs the built `kiln` with `arguments` in `directory`; its exit status and output.
    static func runKiln(_ arguments: [String], in directory: URL) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let process = Process()
        process.executableURL = kiln
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self)
        )
    }
}
