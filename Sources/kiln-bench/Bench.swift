import ArgumentParser
import KilnCommandLine
import KilnCore
import KilnModbus
import KilnPoller
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `kiln-bench poll`: the poll path of `kiln run` (read, decode, make samples) back-to-back on one
/// connection, to compare its request rate with a plain C libmodbus loop (tools/bench/poller.sh).
struct BenchPoll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poll",
        abstract: "Poll one device back-to-back for a while and print requests per second.",
        discussion: """
            Builds a device of float32 holding-register tags covering --registers registers from \
            address 0 (one block, one request a cycle) and calls the poller's DeviceSession.poll on a \
            dedicated thread, as fast as replies come back. Prints `poll_rps N` on standard output.
            """
    )

    @Option(name: .long, help: "Device IP address or host name.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "TCP port.")
    var port: Int = 502

    @Option(name: .long, help: "Modbus unit id.")
    var unit: Int = 1

    @Option(name: .long, help: "Holding registers a request reads (an even number, 2-124).")
    var registers: Int = 100

    @Option(name: .long, help: "How long to poll.")
    var duration = DurationArgument(.seconds(5))

    func validate() throws {
        guard (2...124).contains(registers), registers % 2 == 0 else {
            throw ValidationError("--registers must be an even number from 2 to 124")
        }
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
        guard (0...255).contains(unit) else { throw ValidationError("--unit must be 0 to 255") }
    }

    func run() throws {
        let device = BenchPoll.device(host: host, port: port, unit: unit, registers: registers)
        let nanoseconds = duration.duration.nanoseconds
        let result = BenchThread.run { BenchPoll.measure(device: device, nanoseconds: nanoseconds) }
        switch result {
        case .failure(let message):
            printError("error: \(host):\(port) unit \(unit): \(message)")
            throw ExitCode(2)
        case .success(let run):
            let seconds = Double(run.nanoseconds) / 1e9
            printError(
                "kiln-bench poll: \(run.requests) requests, \(run.failures) failed, \(run.samples) samples "
                    + "in \(run.nanoseconds / 1_000_000) ms")
            print("poll_rps \(Int((Double(run.requests) / seconds).rounded()))")
            if run.failures > 0 { throw ExitCode(2) }
        }
    }

    /// A device whose float32 tags cover `registers` holding registers from address 0.
    static func device(host: String, port: Int, unit: Int, registers: Int) -> DeviceConfig {
        let tags = stride(from: 0, to: registers, by: 2).map { address in
            TagConfig(
                name: "t\(address)", register: .holding, address: address, type: .float32,
                poll: .milliseconds(100))
        }
        return DeviceConfig(
            name: "bench", host: host, port: port, unit: unit, timeout: .milliseconds(500),
            poll: .milliseconds(100), tags: tags)
    }

    struct Measurement: Sendable {
        var requests: Int
        var failures: Int
        var samples: Int
        var nanoseconds: Int64
    }

    enum Outcome: Sendable {
        case success(Measurement)
        case failure(String)
    }

    /// Connects, checks one cycle reads good, then polls back-to-back until the time is up.
    static func measure(device: DeviceConfig, nanoseconds: Int64) -> Outcome {
        let session: DeviceSession
        do {
            session = try DeviceSession(index: 0, device: device, logger: Logger(label: "kiln.bench"))
        } catch {
            return .failure("\(error)")
        }
        defer { session.close() }
        guard session.scanClasses.count == 1, session.scanClasses[0].blocks.count == 1 else {
            return .failure("the bench device should plan as one block, not \(session.scanClasses)")
        }
        var samples: [Sample] = []
        samples.reserveCapacity(device.tags.count)
        session.poll(scan: 0, into: &samples)
        if let bad = samples.first(where: { $0.status != .good }) {
            return .failure("first cycle read bad: \(bad.reason ?? "\(bad.status)")")
        }
        samples.removeAll(keepingCapacity: true)

        let before = session.stats
        var produced = 0
        let start = Clocks.monotonicNanoseconds()
        let end = start + nanoseconds
        var now = start
        while now < end {
            session.poll(scan: 0, into: &samples)
            produced += samples.count
            samples.removeAll(keepingCapacity: true)
            now = Clocks.monotonicNanoseconds()
        }
        return .success(
            Measurement(
                requests: session.stats.requests - before.requests,
                failures: session.stats.failures - before.failures, samples: produced,
                nanoseconds: now - start))
    }
}

/// Runs a body to completion on a dedicated OS thread (not Swift's cooperative pool, where
/// blocking libmodbus calls must never run) and returns its result.
enum BenchThread {
    /// `@unchecked Sendable`: `value` is written by the thread before it ends and read only after
    /// `pthread_join`, which orders the two.
    private final class Job<T>: @unchecked Sendable {
        let body: () -> T
        var value: T?
        init(_ body: @escaping () -> T) { self.body = body }
    }

    private final class Entry {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let job = Job(body)
        let entry = Unmanaged.passRetained(Entry { job.value = job.body() }).toOpaque()
        var thread: pthread_t = 0
        let rc = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<Entry>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, entry)
        precondition(rc == 0, "cannot start a thread: error \(rc)")
        pthread_join(thread, nil)
        return job.value!
    }
}
