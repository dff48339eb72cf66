import Foundation
import Testing

/// A historian path in a folder that does not exist is a config error at its `path:` key, for
/// `kiln check` and for `kiln run` alike, rather than SQLite's "unable to open database file".
struct HistorianFolderTests {
    @Test(arguments: ["check", "run"])
    func aMissingFolderIsReportedAtThePathKey(command: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-historian-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/kiln.yaml"
        try """
        devices:
          - \(Repository.root)/devices/plant.yaml
        historian:
          path: missing/kiln.sqlite
        """.write(toFile: config, atomically: false, encoding: .utf8)
        let arguments = command == "run" ? ["run", config, "--duration", "1s"] : ["check", config]
        let result = try KilnCLI.run(arguments)
        #expect(result.exitCode == 1, Comment(rawValue: result.description))
        #expect(
            result.stderr.contains(
                "\(config):4:9: error: historian folder '\(dir)/missing' does not exist; create it or change 'path'"),
            Comment(rawValue: result.description))
        #expect(!result.stderr.contains("SQLite"), Comment(rawValue: result.description))
    }
}
