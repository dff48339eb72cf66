import ArgumentParser
import KilnCore
import KilnSignal

extension KilnCommand {
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Run a recorded trace through a tag's conditioning.",
            discussion: """
                The trace is CSV with a header naming `ts` and `value` (`ts` as RFC 3339 or Unix \
                seconds with a fraction; an empty value is a missed poll), engineering values as the \
                tag reads them. Prints one row per input row, `ts,raw,value,status,fault`: the \
                timestamp as given, the reading, the conditioned value (empty when withheld), the \
                OPC UA status name and the fault class (none, comm, range, spike, rate, stuck, \
                stale). With --json, one object per line with those keys. Exits 1 on usage, \
                configuration or trace errors.
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
            let trace = try loadTrace(input)
            var conditioner = TagConditioner(tag: tagConfig)
            var out = json ? "" : "ts,raw,value,status,fault\n"
            out.reserveCapacity(trace.rows.count * 64)
            for row in trace.rows {
                let result: ConditionedReading
                if let value = row.value {
                    result = conditioner.condition(reading: value, unscaled: tagConfig.unscaled(value), at: row.time)
                } else {
                    result = conditioner.missed(at: row.time)
                }
                let value = result.value.map { ValueFormat.text(.double($0), tag: tagConfig) }
                if json {
                    out +=
                        "{\"ts\": \(Self.jsonTime(row.timeText)), \"raw\": \(row.value.map(Self.jsonNumber) ?? "null")"
                    out += ", \"value\": \(value ?? "null"), \"status\": \"\(result.status.name)\""
                    out += ", \"fault\": \"\(result.fault.rawValue)\"}\n"
                } else {
                    out += "\(row.timeText),\(row.valueText ?? ""),\(value ?? ""),\(result.status.name),"
                    out += "\(result.fault.rawValue)\n"
                }
                if out.utf8.count > 1 << 16 {
                    print(out, terminator: "")
                    out = ""
                }
            }
            print(out, terminator: "")
            flushOutput()
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
