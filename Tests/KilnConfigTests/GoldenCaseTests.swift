import Foundation
import KilnConfig
import Testing

/// Every folder under `Cases/` is one case: `kiln.yaml` (a gateway config) or `map.yaml` (a
/// device map), and `expected.txt` with the exact diagnostics, paths relative to the case folder.
/// An empty `expected.txt` means the case must load cleanly; a case that loads with warnings
/// lists them. Adding a case is adding a folder.
struct GoldenCaseTests {
    static let casesDirectory = Bundle.module.resourceURL!.appendingPathComponent("Cases")

    static var caseNames: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: casesDirectory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func casesArePresent() {
        #expect(Self.caseNames.count >= 20)
    }

    @Test(arguments: caseNames)
    func diagnostics(of name: String) throws {
        let folder = Self.casesDirectory.appendingPathComponent(name).path
        let entry = ["kiln.yaml", "map.yaml"].first {
            FileManager.default.fileExists(atPath: folder + "/" + $0)
        }
        let file = try #require(entry, "case \(name) has neither kiln.yaml nor map.yaml")
        let expected = try String(contentsOfFile: folder + "/expected.txt", encoding: .utf8)
        let actual: String
        do {
            let warnings = try ConfigLoader.check(path: folder + "/" + file).warnings
            actual = warnings.map { $0.description.replacingOccurrences(of: folder + "/", with: "") + "\n" }.joined()
        } catch {
            actual = error.description.replacingOccurrences(of: folder + "/", with: "") + "\n"
        }
        #expect(actual == expected, "case \(name)")
    }
}
