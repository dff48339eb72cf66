import ArgumentParser
import KilnConfig
import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// Loads a map or gateway config for a subcommand; on errors prints every diagnostic in the
/// compiler's form and exits 1.
public func loadConfiguration(_ path: String) throws -> GatewayConfig {
    do {
        return try ConfigLoader.load(path: path)
    } catch {
        printError(error.description)
        throw ExitCode(1)
    }
}

/// Writes a line to standard error.
public func printError(_ text: String) {
    flushOutput()
    StandardError.writeUnbuffered(text)
}

/// Standard error without touching standard output.
public enum StandardError {
    /// Writes a line to file descriptor 2 directly: no stdio buffer, no flush of standard output.
    public static func writeUnbuffered(_ text: String) {
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
}

/// Flushes standard output so piped readers see each line at once.
public func flushOutput() {
    fflush(nil)
}
