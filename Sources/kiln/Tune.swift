import ArgumentParser
import KilnCommandLine
import KilnCore
import KilnSignal

extension KilnCommand {
    struct Tune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tune",
            abstract: "Fit a tag's thermal settings (tau, max_rate, noise) from a recorded step response.",
            discussion: """
                The trace is CSV with a header naming `ts` and `value` (`ts` as RFC 3339 or Unix \
                seconds with a fraction, from 1970 to 9999, increasing from row to row; an empty \
                value is a missed poll and is skipped, as are NaN and inf). It should hold one step \
                response: the reading steady, a change of heat input, and the reading settling \
                (record at least three time constants after the change). Prints the `thermal:` \
                block to paste into the tag, with the fit's error in comments.

                Warns on stderr, and still prints the block and exits 0, when the trace cannot \
                fully support the fit: it starts mid-transient (fewer than 5 readings before the \
                step, or a drifting reading before it), it holds less than three time constants \
                after the step, or fewer than 5 readings fall within the first time constant. \
                Exits 1 when the trace cannot be read, has a bad line, holds fewer than 10 \
                readings or more than 1,000,000, or holds no step (a change within five noise \
                floors).
                """
        )

        @Option(name: .long, help: "The recorded step response (CSV: ts,value).")
        var input: String

        /// Readings a fit takes at most: a step response at 10 Hz over a day, with room. The fit
        /// holds a few copies of them, so this bounds its memory (about 100 MB) and time.
        static let maxReadings = 1_000_000

        func run() async throws {
            var start: Int64?
            var times: [Double] = []
            var values: [Double] = []
            var tooMany = false
            try readTrace(input) { row in
                guard let value = row.value, value.isFinite, !tooMany else { return }
                guard times.count < Self.maxReadings else {
                    tooMany = true
                    return
                }
                // Trace times lie within 1970–9999, so this difference cannot overflow.
                let first = start ?? row.time
                start = first
                times.append(Double(row.time - first) * 1e-6)
                values.append(value)
            }
            guard !tooMany else {
                printError(
                    "\(input): error: the trace holds more than \(Self.maxReadings) readings; cut it to the step and "
                        + "its settling, or record at a slower rate")
                throw ExitCode(1)
            }
            guard let start else {
                printError("\(input): error: the trace has no readings")
                throw ExitCode(1)
            }
            let fit: StepResponseFit
            do {
                fit = try StepResponseFit(times: times, values: values)
            } catch {
                printError("\(input): error: \(error)")
                throw ExitCode(1)
            }
            for warning in fit.warnings {
                printError("\(input): warning: \(warning)")
            }
            print(Self.text(fit, file: input, start: start))
        }

        static func text(_ fit: StepResponseFit, file: String, start: Int64) -> String {
            let f = StepResponseFit.format
            // The step lies within the trace's span (under 2.6e17 µs, as `start` is) give or take a
            // grid step; clamped all the same, so neither the conversion nor the sum can trap.
            let offset = min(max((fit.stepTime * 1e6).rounded(), -5e18), 5e18)
            let stepAt = Timestamp.rfc3339(micros: start + Int64(offset))
            var lines = [
                "# kiln tune: \(fit.count) readings of \(file); step at \(stepAt) from \(f(fit.initial)) to \(f(fit.final))",
                "# fit: tau \(f(fit.tau))s ± \(f(fit.tauError))s, max_rate \(f(fit.maxRate)) ± \(f(fit.maxRateError)) "
                    + "per second (1σ); rms residual (noise) \(f(fit.noise))",
            ]
            if fit.outliers > 0 {
                let readings = fit.outliers == 1 ? "reading" : "readings"
                lines.append("# \(fit.outliers) outlying \(readings) (spikes) left out of the fit")
            }
            if !fit.warnings.isEmpty {
                let count = fit.warnings.count
                lines.append(
                    "# warning: the trace cannot fully support this fit (\(count) \(count == 1 ? "reason" : "reasons") on stderr)"
                )
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
