import ArgumentParser
import KilnCommandLine
import KilnCore
import KilnSignal

extension KilnCommand {
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Run a recorded trace through a tag's conditioning.",
            discussion: """
                The trace is CSV with a header naming `ts` and `value` (`ts` as RFC 3339 or Unix \
                seconds with a fraction, from 1970 to 9999, increasing from row to row; an empty \
                value is a missed poll, NaN or inf a reading that is not a number), engineering \
                values as the tag reads them. Prints one row per input row, \
                `ts,raw,value,status,fault`: the timestamp as given, the reading, the conditioned \
                value (empty when withheld), the OPC UA status name and the fault class (none, comm, \
                range, spike, rate, stuck, stale). With --json, one object per line with those keys \
                (`raw` and `value` null when missing, withheld or not a number). A line that does \
                not parse, a timestamp out of range, repeated or going back stops the replay with \
                `FILE:LINE: error:` after the rows before it. Exits 1 on usage, configuration or \
                trace errors.
                """
        )

        @Argument(help: "A device map or a gateway config.")
        var file: String

        @Option(
            name: .long,
            help: ArgumentHelp(
                "The tag whose conditioning to run: DEVICE/TAG, or a TAG only one device has.", valueName: "tag"))
        var tag: String

        @Option(name: .long, help: "The recorded trace (CSV: ts,value).")
        var input: String

        @Flag(name: .long, help: "One JSON object per line.")
        var json = false

        func run() async throws {
            let config = try loadConfiguration(file)
            let tagConfig = try find(tag, in: config)
            var conditioner = TagConditioner(tag: tagConfig)
            // The CSV header goes out with the first row (or at the end of a trace with none), so a
            // trace that fails on its own header prints nothing.
            var out = ""
            var headerDone = json
            out.reserveCapacity(1 << 17)
            // Rows are conditioned and printed as the trace is read: memory stays flat for any length.
            // A bad line stops the replay there; the rows before it are still printed.
            defer {
                print(out, terminator: "")
                flushOutput()
            }
            try readTrace(input) { row in
                if !headerDone {
                    out += "ts,raw,value,status,fault\n"
                    headerDone = true
                }
                let result: ConditionedReading
                if let value = row.value {
                    result = conditioner.condition(reading: value, unscaled: tagConfig.unscaled(value), at: row.time)
                } else {
                    result = conditioner.missed(at: row.time)
                }
                if json {
                    let value = ValueFormat.json(result.value.map(Value.double), tag: tagConfig)
                    out +=
                        "{\"ts\": \(Self.jsonTime(row.timeText)), \"raw\": \(row.value.map(Self.jsonNumber) ?? "null")"
                    out += ", \"value\": \(value), \"status\": \"\(result.status.name)\""
                    out += ", \"fault\": \"\(result.fault.rawValue)\"}\n"
                } else {
                    let value = result.value.map { ValueFormat.text(.double($0), tag: tagConfig) }
                    out += "\(row.timeText),\(row.valueText ?? ""),\(value ?? ""),\(result.status.name),"
                    out += "\(result.fault.rawValue)\n"
                }
                if out.utf8.count > 1 << 16 {
                    print(out, terminator: "")
                    out = ""
                }
            }
            if !headerDone { out += "ts,raw,value,status,fault\n" }
        }

        /// The tag `text` names (``TagSelection``); an unknown, ambiguous or non-numeric one is a
        /// usage error.
        private func find(_ text: String, in config: GatewayConfig) throws -> TagConfig {
            let path: TagSelection.Path
            do {
                path = try TagSelection(config: config, source: file).one(text)
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            // The selection came from this config, so the tag is there.
            guard
                let tag = config.devices.first(where: { $0.name == path.device })?.tags.first(where: {
                    $0.name == path.tag
                })
            else { throw ExitCode(1) }
            guard tag.type.isNumeric, !tag.register.isBit else {
                printError(
                    "error: tag '\(path)' is \(tag.register.isBit ? "a bit" : "a \(tag.type)"); only numbers are conditioned"
                )
                throw ExitCode(1)
            }
            return tag
        }

        /// A timestamp as JSON: Unix seconds as the number written, RFC 3339 as a string.
        static func jsonTime(_ text: String) -> String {
            isJSONNumber(text) ? text : JSON.quote(text)
        }

        static func jsonNumber(_ value: Double) -> String {
            value.isFinite ? Value.format(value) : "null"
        }

        /// Whether `text` is a number in JSON's grammar (no leading +, no bare dot).
        static func isJSONNumber(_ text: String) -> Bool {
            let digit = UInt8(ascii: "0")...UInt8(ascii: "9")
            var bytes = Substring(text).utf8[...]
            if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            let integer = bytes.prefix { digit.contains($0) }
            guard !integer.isEmpty else { return false }
            if integer.count > 1, integer.first == UInt8(ascii: "0") { return false }
            bytes = bytes.dropFirst(integer.count)
            if bytes.first == UInt8(ascii: ".") {
                bytes = bytes.dropFirst()
                let fraction = bytes.prefix { digit.contains($0) }
                guard !fraction.isEmpty else { return false }
                bytes = bytes.dropFirst(fraction.count)
            }
            return bytes.isEmpty
        }
    }
}
