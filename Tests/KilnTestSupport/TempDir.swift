import Foundation

/// A folder of its own under the system's temporary folder, named after the test that made it,
/// removed by `cleanup()`.
public struct TempDir: Sendable {
    public let path: String

    public init(_ name: String = #function) {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        path = NSTemporaryDirectory() + "kiln-\(safe)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to the file `name` in the folder and returns its path.
    public func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
        return file(name)
    }

    public func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}
