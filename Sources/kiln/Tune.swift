import ArgumentParser
import KilnCore
import KilnSignal

extension KilnCommand {
    struct Tune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tune",
            abstract: "Fit a tag's thermal settings (tau, max_rate, noise) from a recorded step response.",
            discussion: """
                The trace is CSV with a header naming `ts` and `value` (`ts` as RFC 3339 or Unix \
                seconds with a fraction; an empty value is a missed poll and is skipped). It should \
                hold one step response: the reading steady, a change of heat input, and the reading \
                settling (record at least three time constants after the change). Prints the \
                `thermal:` block to paste into the tag, with the fit's error in comments. Exits 1 \
                when the trace cannot be read or holds no step.
                """
        )

        @Option(name: .long, help: "The recorded step response (CSV: ts,value).")
        var input: String

        func run() async throws {
            let trace = try loadTrace(input)
            let readings = trace.rows.filter { $0.value?.isFinite ?? false }
            guard let first = readings.first else {
                printError("\(input): error: the trace has no readings")
                throw ExitCode(1)
            }
            let times = readings.map { Double($0.time - first.time) * 1e-6 }
            let fit: StepResponseFit
            do {
                fit = try StepResponseFit(times: times, values: readings.map { $0.value! })
            } catch {
                printError("\(input): error: \(error)")
                throw ExitCode(1)
            }
            print(Self.text(fit, file: input, start: first.time))
        }

        static func text(_ fit: StepResponseFit, file: String, start: Int64) -> String {
            let f = StepResponseFit.format
            let stepAt = Timestamp.rfc3339(micros: start + Int64((fit.stepTime * 1e6).rounded()))
            var lines = [
                "# kiln tune: \(fit.count) readings of \(file); step at \(stepAt) from \(f(fit.initial)) to \(f(fit.final))",
                "# fit: tau \(f(fit.tau))s ± \(f(fit.tauError))s, max_rate \(f(fit.maxRate)) ± \(f(fit.maxRateError)) "
                    + "per second (1σ); rms residual (noise) \(f(fit.noise))",
            ]
            if fit.outliers > 0 {
                let readings = fit.outliers == 1 ? "reading" : "readings"
                lines.append("# \(fit.outliers) outlying \(readings) (spikes) left out of the fit")
            }
            if fit.atSearchLimit {
                lines.append("# warning: tau is at the edge of what this trace can show; record a longer settling")
            }
            lines += [
                "thermal:",
                "  tau: \(f(fit.tau))s",
                "  max_rate: \(f(fit.maxRate))",
                "  noise: \(f(fit.noise))",
            ]
            return lines.joined(separator: "\n")
        }
    }
}
