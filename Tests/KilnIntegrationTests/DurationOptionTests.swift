import Testing

/// Options that take a duration (`--timeout`, `--duration`, `--print-every`), as `--help` shows
/// them and as a mistyped one is refused.
struct DurationOptionTests {
    @Test func helpShowsDefaultsAsWritten() throws {
        let probe = try KilnCLI.run(["probe", "--help"])
        #expect(probe.exitCode == 0, "\(probe)")
        let timeout = try #require(probe.stdoutLines.first { $0.contains("--timeout") && $0.contains("default") })
        #expect(timeout.hasSuffix("(default: 1s)"), "\(timeout)")

        // `run --help` wraps the long option onto two lines; the default is still `2s`.
        let run = try KilnCLI.run(["run", "--help"])
        let text = run.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("How often to print the live values table. (default: 2s)"), "\(run.stdout)")
        for help in [probe.stdout, run.stdout] {
            #expect(!help.contains("DurationArgument") && !help.contains("seconds)"), "\(help)")
        }
    }

    @Test func aBareNumberIsToldItNeedsAUnit() throws {
        let result = try KilnCLI.run([
            "probe", "--host", "127.0.0.1", "--register", "holding", "--address", "0", "--timeout", "2",
        ])
        #expect(result.exitCode == 1, "a usage error: \(result)")
        #expect(result.stderr.contains("2: a duration needs a unit, e.g. 2s or 500ms"), "\(result.stderr)")
        #expect(result.stderr.contains("--timeout"), "names the option: \(result.stderr)")

        let other = try KilnCLI.run(["run", "no-such.yaml", "--duration", "5x"])
        #expect(other.exitCode == 1, "\(other)")
        #expect(other.stderr.contains("5x: not a duration"), "\(other.stderr)")
    }
}
