import ArgumentParser
import KilnCommandLine
import KilnSignal

#if canImport(Glibc)
    import Glibc
#endif

/// Reads the recorded trace at `path` for `kiln tune` and `kiln replay`, 64 KiB at a time,
/// handing over each row as it is read: memory stays within one chunk and one line however long
/// the trace (a pipe or `/dev/stdin` works too). On a problem prints `FILE:LINE: error: MESSAGE`
/// (or why the file cannot be read) and exits 1.
func readTrace(_ path: String, _ row: (TraceCSV.Row) -> Void) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw cannotRead(path, errno) }
    defer { close(fd) }
    var reader = TraceCSV.Reader()
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    do {
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw cannotRead(path, errno)
            }
            if count == 0 { break }
            try buffer.withUnsafeBufferPointer { (b) throws(TraceCSV.ParseError) in
                try reader.read(UnsafeBufferPointer(rebasing: b[..<count]), row)
            }
        }
        try reader.finish(row)
    } catch let error as TraceCSV.ParseError {
        printError("\(path):\(error.line): error: \(error.message)")
        throw ExitCode(1)
    }
}

/// Prints why `path` cannot be read (errno `code`) and gives the exit to throw.
private func cannotRead(_ path: String, _ code: Int32) -> ExitCode {
    printError("error: cannot read \(path): \(String(cString: strerror(code)))")
    return ExitCode(1)
}
