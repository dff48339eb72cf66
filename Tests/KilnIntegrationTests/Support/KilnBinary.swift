import Foundation

/// Where the package and its built `kiln` live, seen from the test process.
enum Repository {
    /// The package root, from this file's path (`<root>/Tests/KilnIntegrationTests/Support/…`).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The pymodbus test peer script.
    static let pymodbusServer = root + "/tools/testpeers/pymodbus_server.py"

    struct MissingBinary: Error, CustomStringConvertible {
        var searched: [String]
        var description: String {
            "no built kiln executable; run `swift build` first (looked in \(searched.joined(separator: ", ")))"
        }
    }

    /// The `kiln` executable built with the tests: next to the test bundle
    /// (`.build/<triple>/debug/`), else `<root>/.build/debug/kiln`.
    static func kiln() throws -> String {
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("kiln").path)
        }
        candidates.append(root + "/.build/debug/kiln")
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw MissingBinary(searched: candidates)
        }
        return found
    }
}
