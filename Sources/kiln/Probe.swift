import ArgumentParser
import KilnCommandLine
import KilnCore
import KilnModbus

extension KilnCommand {
    struct Probe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "probe",
            abstract: "Read raw registers and show every interpretation side by side.",
            discussion: """
                Shows each register as int16 and uint16, each pair as int32, uint32 and float32 \
                in all four byte orders, each run of four as float64, and the range as ASCII, so \
                the byte order that gives sensible numbers stands out (marked *).
                """
        )

        @Option(name: .long, help: "Device IP address or host name.")
        var host: String

        @Option(name: .long, help: "TCP port.")
        var port: Int = 502

        @Option(name: .long, help: "Modbus unit id.")
        var unit: Int = 1

        @Option(name: .long, help: "holding or input.")
        var register: String

        @Option(name: .long, help: "0-based protocol address of the first register.")
        var address: Int

        @Option(name: .long, help: "Registers to read (1-125).")
        var count: Int = 4

        @Option(name: .long, help: "Response timeout.")
        var timeout: DurationArgument = DurationArgument(.seconds(1))

        func validate() throws {
            guard let kind = RegisterKind(rawValue: register), !kind.isBit else {
                throw ValidationError("--register must be holding or input, not '\(register)'")
            }
            guard (1...125).contains(count) else { throw ValidationError("--count must be 1 to 125") }
            guard (0...65535).contains(address), address + count <= 65536 else {
                throw ValidationError("--address must be a 0-based protocol address, 0 to 65535")
            }
            guard (1...65535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
            guard (0...255).contains(unit) else { throw ValidationError("--unit must be 0 to 255") }
        }

        func run() async throws {
            let words: [UInt16]
            do {
                let client = try ModbusClient(host: host, port: port, unit: unit, timeout: timeout.duration)
                words = try client.read(RegisterKind(rawValue: register)!, address: address, count: count)
                client.close()
            } catch {
                printError("error: \(host):\(port) unit \(unit): \(error)")
                throw ExitCode(2)
            }
            print(ProbeReport(address: address, words: words).text, terminator: "")
        }
    }
}

/// Every interpretation of a run of registers.
struct ProbeReport {
    let address: Int
    let words: [UInt16]

    var text: String {
        var rows: [[String]] = [["ADDR", "HEX", "UINT16", "INT16", "ASCII"]]
        for (i, w) in words.enumerated() {
            rows.append([
                String(address + i), "0x" + hex(w), String(w), String(Int16(bitPattern: w)), Decoding.asciiPreview([w]),
            ])
        }
        var out = SampleText.align(rows, rightAligned: [2, 3])
        out += section(width: 2, title: "32-bit values") { start, order in
            let bits = UInt32(truncatingIfNeeded: Decoding.canonicalBytes(words[start..<start + 2], order: order))
            return [
                ("uint32", String(bits)), ("int32", String(Int32(bitPattern: bits))),
                (
                    "float32",
                    ProbeReport.float(Double(Float(bitPattern: bits)), shortest: Float(bitPattern: bits).description)
                ),
            ]
        }
        out += section(width: 4, title: "64-bit values") { start, order in
            let bits = Decoding.canonicalBytes(words[start..<start + 4], order: order)
            return [
                ("uint64", String(bits)), ("int64", String(Int64(bitPattern: bits))),
                (
                    "float64",
                    ProbeReport.float(Double(bitPattern: bits), shortest: Double(bitPattern: bits).description)
                ),
            ]
        }
        out += "\nASCII \(address)..\(address + words.count - 1): \"\(Decoding.asciiPreview(words))\"\n"
        return out
    }

    private func section(
        width: Int, title: String, _ values: (Int, ByteOrder) -> [(String, String)]
    ) -> String {
        guard words.count >= width else { return "" }
        let orders = ByteOrder.allCases
        var rows: [[String]] = [["ADDR", "TYPE"] + orders.map(\.rawValue)]
        for start in 0...(words.count - width) {
            let perOrder = orders.map { values(start, $0) }
            for (k, name) in perOrder[0].map(\.0).enumerated() {
                rows.append([k == 0 ? "\(address + start)" : "", name] + perOrder.map { $0[k].1 })
            }
        }
        return "\n\(title) (byte orders name how bytes A B C D… arrive; * = plausible float)\n"
            + SampleText.align(rows, rightAligned: Set(2..<(2 + orders.count)))
    }

    /// A float is plausible when it is zero or a finite number of everyday magnitude.
    static func float(_ d: Double, shortest: String) -> String {
        let plausible = d == 0 || (d.isFinite && abs(d) >= 1e-4 && abs(d) < 1e9)
        return shortest + (plausible ? "*" : "")
    }

    private func hex(_ w: UInt16) -> String {
        let s = String(w, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - s.count) + s
    }
}
