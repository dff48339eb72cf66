import ArgumentParser
import KilnCommandLine
import KilnConfig

extension KilnCommand {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate device maps and gateway configs.",
            discussion: """
                Reports every problem as FILE:LINE:COLUMN: error: MESSAGE on standard error and, for \
                each clean file, a one-line summary on standard output. Exits 0 when every file is \
                clean and 1 otherwise.
                """
        )

        @Argument(help: "Device maps or gateway configs to check.")
        var files: [String]

        func run() async throws {
            var failed = false
            for file in files {
                do {
                    let config = try ConfigLoader.load(path: file)
                    let tags = config.devices.reduce(0) { $0 + $1.tags.count }
                    print("\(file): ok (\(count(config.devices.count, "device")), \(count(tags, "tag")))")
                } catch {
                    failed = true
                    for diagnostic in error.diagnostics { printError(diagnostic.description) }
                }
            }
            if failed { throw ExitCode(1) }
        }

        private func count(_ n: Int, _ noun: String) -> String {
            n == 1 ? "1 \(noun)" : "\(n) \(noun)s"
        }
    }
}
