import Foundation
import Testing

/// A Prometheus text exposition, read back by a test: each sample's value by name and labels.
struct PrometheusText {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let text: String
    let samples: [Sample]

    struct Malformed: Error, CustomStringConvertible {
        var line: String
        var description: String { "not a Prometheus sample line: \(line)" }
    }

    init(_ text: String) throws {
        self.text = text
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw Malformed(line: String(line))
            }
            let series = line[..<space]
            var labels: [String: String] = [:]
            var name = String(series)
            if let brace = series.firstIndex(of: "{") {
                name = String(series[..<brace])
                let inner = series[series.index(after: brace)..<(series.lastIndex(of: "}") ?? series.endIndex)]
                // Kiln's label values hold no comma, quote or backslash.
                for pair in inner.split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { throw Malformed(line: String(line)) }
                    labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
            }
            samples.append(Sample(name: name, labels: labels, value: value))
        }
        self.samples = samples
    }

    /// The sum of the samples named `name` whose labels include `labels`.
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Int {
        Int(
            samples.filter { sample in
                sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value }
            }
            .reduce(0) { $0 + $1.value })
    }

    /// True when a sample named `name` with exactly these labels is present.
    func has(_ name: String, _ labels: [String: String]) -> Bool {
        samples.contains { $0.name == name && $0.labels == labels }
    }

    /// Runs `promtool check metrics` (Debian `prometheus`) on the text; returns its exit status
    /// and what it said. A missing promtool fails the test loudly.
    func promtoolCheck(sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> (
        status: Int32, output: String
    ) {
        let searched = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        let promtool = try #require(
            searched.map { "\($0)/promtool" }.first { FileManager.default.isExecutableFile(atPath: $0) },
            "promtool is not installed: run tools/setup.sh --tests (Debian prometheus)", sourceLocation: sourceLocation)
        let directory = NSTemporaryDirectory() + "kiln-promtool-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = directory + "/metrics.prom"
        let output = directory + "/out"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
        let sink = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = sink
        process.standardError = sink
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOfFile: output, encoding: .utf8))
    }
}
