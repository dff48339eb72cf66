import ArgumentParser
import KilnCommandLine
import KilnCore
import KilnModbus
import KilnSimulator

#if canImport(Glibc)
    import Glibc
#endif

extension KilnCommand {
    struct Simulate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "simulate",
            abstract: "Serve a device map's registers over Modbus/TCP as a simulated plant.",
            discussion: """
                Every distinct port among the devices gets a listening socket; devices that share \
                a port are told apart by unit id, and a request for a unit id nobody serves gets \
                exception 0x0B. Values follow each tag's `simulate:` block (first-order thermal \
                response, noise, scripted faults). Runs until SIGINT or SIGTERM, then exits 0.
                """
        )

        @Argument(help: "A device map or gateway config.")
        var file: String

        @Option(help: "Serve every device on this port (unit ids must then be distinct).")
        var port: Int?

        @Option(help: "The address to listen on.")
        var bind = "127.0.0.1"

        @Option(
            name: .customLong("timing-log"),
            help: ArgumentHelp(
                "Write one line per request, `conn_id unit monotonic_ns`, to this file.", valueName: "path"))
        var timingLog: String?

        @Flag(help: "Print request counts per device at exit.")
        var stats = false

        @Option(
            name: .customLong("realtime"),
            help: ArgumentHelp(
                "Serve connections at this SCHED_FIFO priority (1-99) where permitted.", valueName: "priority"))
        var realtimePriority: Int?

        func validate() throws {
            if let port, !(0...65535).contains(port) { throw ValidationError("--port must be in 0...65535") }
            if let realtimePriority, !(1...99).contains(realtimePriority) {
                throw ValidationError("--realtime must be in 1...99")
            }
        }

        func run() async throws {
            let config = try loadConfiguration(file)
            ShutdownSignal.install()
            ProcessLimits.raiseDescriptorLimit()
            let server: SimulatorServer
            do {
                server = try SimulatorServer(
                    devices: config.devices,
                    configuration: .init(
                        bind: bind, portOverride: port, timingLogPath: timingLog, realtimePriority: realtimePriority))
                try server.start()
            } catch {
                printError("\(file): error: \(error)")
                throw ExitCode.failure
            }
            for listener in server.listeners {
                let devices = listener.devices.map { "\($0.name) (unit \($0.unit))" }.joined(separator: ", ")
                print("serving \(devices) on \(Self.endpoint(listener.address, listener.port))")
            }
            if realtimePriority != nil, server.realtimeFailures > 0 {
                printError("warning: SCHED_FIFO not permitted; connections run at normal priority")
            }
            flushOutput()

            let signal = await ShutdownSignal.wait()
            server.stop()
            if stats {
                for device in server.statistics {
                    print("\(device.name) (unit \(device.unit), port \(device.port)): \(device.requests) requests")
                }
            }
            print("stopped on \(signal == SIGINT ? "SIGINT" : "SIGTERM")")
            flushOutput()
        }

        private static func endpoint(_ address: String, _ port: Int) -> String {
            address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
        }
    }
}
