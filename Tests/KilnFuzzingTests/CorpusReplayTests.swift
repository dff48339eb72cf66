import Foundation
import KilnFuzzing
import Testing

/// Every committed fuzz input, seeds and crashers alike, runs through its target in every test
/// run, so each crash found once stays fixed.
struct CorpusReplayTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    static func inputs(_ folder: String, _ target: String) throws -> [URL] {
        let dir = root.appendingPathComponent(folder).appendingPathComponent(target)
        guard FileManager.default.fileExists(atPath: dir.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzTargets.all.map { $0.name })
    func seedsAndCrashersReplay(target name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let seeds = try Self.inputs("Corpus", name)
        #expect(seeds.count >= 3, "Corpus/\(name) needs seed inputs")
        for file in try seeds + Self.inputs("Crashers", name) {
            let data = try Data(contentsOf: file)
            data.withUnsafeBytes { target.run($0) }
        }
    }

    @Test func everyCorpusFolderHasATarget() throws {
        let names = Set(FuzzTargets.all.map { $0.name })
        for folder in ["Corpus", "Crashers"] {
            let dir = Self.root.appendingPathComponent(folder)
            let found = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }
            for name in found { #expect(names.contains(name), "\(folder)/\(name) has no fuzz target") }
        }
    }
}
