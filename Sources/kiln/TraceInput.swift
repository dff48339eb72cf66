import ArgumentParser
import Foundation
import KilnSignal

/// Reads and parses a recorded trace for `kiln tune` and `kiln replay`; on a problem prints
/// `FILE:LINE: error: MESSAGE` (or why the file cannot be read) and exits 1.
func loadTrace(_ path: String) throws -> TraceCSV {
    let text: String
    do {
        text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        printError("error: cannot read \(path): \((error as NSError).localizedDescription)")
        throw ExitCode(1)
    }
    do {
        return try TraceCSV(text: text)
    } catch {
        printError("\(path):\(error.line): error: \(error.message)")
        throw ExitCode(1)
    }
}
