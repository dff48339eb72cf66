import Foundation
import KilnSQLite
import KilnTestSupport

struct ToolFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs the `sqlite3` command-line shell on `db` with `sql` on standard input and returns its
/// standard output: the tests read and write the files with SQLite's own tool, not through Kiln.
/// A missing `sqlite3` fails the test (tools/setup.sh --tests installs it).
@discardableResult
func sqlite3(_ db: String, _ sql: String) throws -> String {
    guard
        let tool = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3", "/bin/sqlite3"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        })
    else {
        throw ToolFailure(description: "sqlite3 is missing: run tools/setup.sh --tests")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = ["-batch", db]
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    input.fileHandleForWriting.write(Data(sql.utf8))
    try input.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ToolFailure(description: "sqlite3 \(db) failed: \(String(decoding: err, as: UTF8.self))")
    }
    return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A module's list of SQL steps, numbered from 1.
func steps(_ module: String, _ sql: [String]) -> [Migration] {
    sql.enumerated().map { Migration(module: module, version: $0.offset + 1, sql: $0.element) }
}
