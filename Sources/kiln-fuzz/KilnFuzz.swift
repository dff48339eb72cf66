import CFuzzer
import KilnFuzzing

#if canImport(Glibc)
    import Glibc
#endif

/// `kiln-fuzz TARGET [libFuzzer options and corpus folders]`: fuzzes one target under libFuzzer
/// (tools/fuzz.sh builds it with -sanitize=fuzzer). A build without libFuzzer replays the files
/// it is given instead, so `kiln-fuzz TARGET CRASHER` reproduces a finding in a plain build.
@main
enum KilnFuzz {
    /// The target libFuzzer's callback runs; set once, before libFuzzer starts.
    nonisolated(unsafe) static var selected: (any FuzzTarget.Type)?

    static func main() {
        let arguments = CommandLine.arguments
        let names = FuzzTargets.all.map { $0.name }.joined(separator: ", ")
        guard arguments.count >= 2 else { fail("usage: kiln-fuzz TARGET [libFuzzer arguments...]; targets: \(names)") }
        guard let target = FuzzTargets.named(arguments[1]) else {
            fail("no target named '\(arguments[1])'; targets: \(names)")
        }
        selected = target

        // libFuzzer reads argv[0] and its own options: the target's name is dropped.
        let argv = [arguments[0]] + arguments.dropFirst(2)
        var cStrings: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var argc = Int32(argv.count)
        let rc = cStrings.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var base = buffer.baseAddress
            return kiln_fuzzer_run(&argc, &base) { data, size in
                KilnFuzz.selected?.run(UnsafeRawBufferPointer(start: data, count: size))
                return 0
            }
        }
        if rc != -1 { exit(rc) }

        // Not linked with libFuzzer: replay each file given.
        for path in argv.dropFirst() where !path.hasPrefix("-") {
            let bytes = read(path)
            bytes.withUnsafeBytes { target.run($0) }
            print("\(path): ok")
        }
    }

    static func read(_ path: String) -> [UInt8] {
        guard let file = fopen(path, "rb") else { fail("cannot open \(path)") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[..<n])
        }
        return bytes
    }

    static func fail(_ message: String) -> Never {
        let line = "kiln-fuzz: \(message)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        exit(1)
    }
}
