import ArgumentParser
import Dispatch
import Foundation
import KilnConfig
import KilnCore
import KilnModbus

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
            let config: GatewayConfig
            do {
                config = try ConfigLoader.load(path: file)
            } catch {
                printError("\(error)")
                throw ExitCode.failure
            }
            raiseDescriptorLimit()
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
            fflush(nil)

            let signal = await Self.waitForTermination()
            server.stop()
            if stats {
                for device in server.statistics {
                    print("\(device.name) (unit \(device.unit), port \(device.port)): \(device.requests) requests")
                }
            }
            print("stopped on \(signal == SIGINT ? "SIGINT" : "SIGTERM")")
            fflush(nil)
        }

        private static func endpoint(_ address: String, _ port: Int) -> String {
            address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
        }

        /// Suspends until SIGINT or SIGTERM arrives, and returns which.
        ///
        /// The signals' default action is replaced by dispatch sources, so they are delivered as
        /// events whichever thread the kernel picks.
        private static func waitForTermination() async -> Int32 {
            let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
            let sources = [SIGINT, SIGTERM].map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { continuation.yield(number) }
                source.resume()
                return source
            }
            defer { sources.forEach { $0.cancel() } }
            for await number in stream { return number }
            return SIGTERM
        }

        /// Hundreds of clients need more descriptors than the usual soft limit of 1024.
        private func raiseDescriptorLimit() {
            var limit = rlimit()
            guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
            limit.rlim_cur = min(limit.rlim_max, 65536)
            _ = setrlimit(RLIMIT_NOFILE_VALUE, &limit)
        }

        private func printError(_ message: String) {
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
    }
}

#if canImport(Glibc)
    private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#else
    private let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
#endif
