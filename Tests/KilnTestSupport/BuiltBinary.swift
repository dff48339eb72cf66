import Foundation

/// An executable of this package that the tests' build made.
public struct BinaryNotFound: Error, CustomStringConvertible {
    public let description: String
}

/// The path of `name` (`kiln`, `kiln-bench`) built beside the running test binary, else in the
/// debug build folder of the package.
public func builtBinary(_ name: String, file: String = #filePath) throws -> String {
    var candidates: [String] = []
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent(name).path)
            dir.deleteLastPathComponent()
        }
    }
    var root = URL(fileURLWithPath: file)
    for _ in 0..<3 { root.deleteLastPathComponent() }
    candidates.append(root.path + "/.build/debug/" + name)
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw BinaryNotFound(
            description: "no built \(name) executable (looked in \(candidates)): run swift build first")
    }
    return found
}
