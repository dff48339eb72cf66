import Foundation
import KilnCore
import Synchronization

/// A simulated plant: serves the registers of a device map over Modbus/TCP, with values driven
/// by a thermal model per tag and scripted faults (`kiln simulate`, and tests in-process).
///
/// Every distinct port among the devices gets a listening socket on the bind address; devices
/// sharing a port are told apart by unit id, and a request for a unit id the port does not serve
/// gets exception 0x0B (gateway target device failed to respond). Each connection is served on
/// its own thread with its own libmodbus context; a model thread updates the register images
/// every `modelPeriod`. Client writes to holding registers and coils are stored, and the tags
/// they touch keep the written value from then on.
///
/// ```swift
/// let server = try SimulatorServer(devices: map.devices, configuration: .init(portOverride: 0))
/// try server.start()
/// defer { server.stop() }
/// print(server.listeners[0].port)
/// ```
public final class SimulatorServer: Sendable {
    /// How the simulator listens and runs.
    public struct Configuration: Sendable {
        /// The address every port is bound to.
        public var bind: String
        /// Serve every device on this port instead of its own (unit ids must then be distinct);
        /// 0 picks a free port, reported by ``SimulatorServer/listeners``.
        public var portOverride: Int?
        /// How often the model thread advances the tags.
        public var modelPeriod: Duration
        /// Write one line per received request, `conn_id unit monotonic_ns`, to this file.
        public var timingLogPath: String?
        /// Seed of the noise generator; nil seeds from the system's random source.
        public var seed: UInt64?
        /// Run connection threads at this SCHED_FIFO priority (1–99) where permitted.
        public var realtimePriority: Int?
        /// Pending connections each listening socket queues.
        public var backlog: Int

        /// - Parameters:
        ///   - bind: the address to listen on, default loopback.
        ///   - portOverride: one port for every device, 0 for a free one; nil uses each device's.
        ///   - modelPeriod: the model's step, default 50 ms.
        ///   - timingLogPath: the request timing log, if any.
        ///   - seed: the noise seed, for repeatable runs.
        ///   - realtimePriority: SCHED_FIFO priority for connection threads, if any.
        ///   - backlog: the listen backlog, default 1024.
        public init(
            bind: String = "127.0.0.1", portOverride: Int? = nil, modelPeriod: Duration = .milliseconds(50),
            timingLogPath: String? = nil, seed: UInt64? = nil, realtimePriority: Int? = nil, backlog: Int = 1024
        ) {
            self.bind = bind
            self.portOverride = portOverride
            self.modelPeriod = modelPeriod
            self.timingLogPath = timingLogPath
            self.seed = seed
            self.realtimePriority = realtimePriority
            self.backlog = backlog
        }
    }

    /// One listening socket and the devices it serves.
    public struct Listener: Sendable, Hashable {
        public var address: String
        /// The bound port (the kernel's pick when 0 was asked for).
        public var port: Int
        /// The devices served here, in map order, with their unit ids.
        public var devices: [(name: String, unit: Int)] {
            zip(deviceNames, units).map { ($0, $1) }
        }
        let deviceNames: [String]
        let units: [Int]
    }

    /// Requests one device has received so far (every request for its unit id, faulted or not).
    public struct DeviceStatistics: Sendable, Hashable {
        public var name: String
        public var unit: Int
        public var port: Int
        public var requests: Int
    }

    private struct PortGroup: Sendable {
        var port: Int
        var devices: [Int]
    }

    private struct Running: Sendable {
        var runtime: SimRuntime
        var sockets: [Int32]
        var listeners: [Listener]
        var threads: [pthread_t]
    }

    private enum State: Sendable {
        case idle
        case running(Running)
        case stopped([Listener])
    }

    public let configuration: Configuration
    private let devices: [SimDevice]
    private let groups: [PortGroup]
    private let state = Mutex(State.idle)

    /// Checks the map can be served and builds the register images; nothing listens yet.
    ///
    /// - Parameters:
    ///   - devices: the devices to serve (their `host` is ignored: everything binds to `bind`).
    ///   - configuration: where and how to serve them.
    /// - Throws: ``SimulatorError`` with code `invalidMap` when two devices share a port and a
    ///   unit id, a port or unit id is out of range, or a fault cannot be served.
    public init(devices: [DeviceConfig], configuration: Configuration = Configuration()) throws(SimulatorError) {
        self.configuration = configuration
        var groups: [PortGroup] = []
        for (index, device) in devices.enumerated() {
            let port = configuration.portOverride ?? device.port
            guard (0...65535).contains(port) else {
                throw SimulatorError(.invalidMap, "\(device.name): port \(port) is outside 0…65535")
            }
            guard (0...255).contains(device.unit) else {
                throw SimulatorError(.invalidMap, "\(device.name): unit id \(device.unit) is outside 0…255")
            }
            if let g = groups.firstIndex(where: { $0.port == port }) {
                if let other = groups[g].devices.first(where: { devices[$0].unit == device.unit }) {
                    throw SimulatorError(
                        .invalidMap,
                        "devices \(devices[other].name) and \(device.name) both use unit \(device.unit) on port "
                            + "\(port): give them distinct unit ids, or serve them on their own ports")
                }
                groups[g].devices.append(index)
            } else {
                groups.append(PortGroup(port: port, devices: [index]))
            }
        }
        var built: [SimDevice] = []
        for device in devices { built.append(try SimDevice(config: device)) }
        self.devices = built
        self.groups = groups
    }

    deinit { stop() }

    // MARK: Running

    /// Opens every listening socket and starts the model and accept threads.
    ///
    /// - Throws: ``SimulatorError``: `listenFailed` when a port is in use or the bind address is
    ///   not local, `alreadyStarted` on a second call; nothing is left running after a throw.
    public func start() throws(SimulatorError) {
        try state.withLock { state throws(SimulatorError) in
            guard case .idle = state else {
                throw SimulatorError(.alreadyStarted, "the simulator was already started")
            }
            state = .running(try launch())
        }
    }

    private func launch() throws(SimulatorError) -> Running {
        let timingLog = try configuration.timingLogPath.map { path throws(SimulatorError) in
            try SimTimingLog(path: path)
        }
        let runtime = SimRuntime(
            startNanoseconds: SimThread.monotonicNanoseconds(), timingLog: timingLog,
            realtimePriority: configuration.realtimePriority)
        var running = Running(runtime: runtime, sockets: [], listeners: [], threads: [])
        var routes: [SimPortRoute] = []
        do {
            for group in groups {
                let (socket, port) = try SimListener.open(
                    address: configuration.bind, port: group.port, backlog: configuration.backlog)
                running.sockets.append(socket)
                let served = group.devices.map { devices[$0] }
                routes.append(SimPortRoute(port: port, devices: served))
                running.listeners.append(
                    Listener(
                        address: configuration.bind, port: port, deviceNames: served.map(\.config.name),
                        units: served.map(\.config.unit)))
            }
            if let priority = configuration.realtimePriority {
                // Find out now whether SCHED_FIFO is permitted, so the caller can say so at once.
                let probe = SimThread.spawn(name: "kiln-sim-probe", detached: false) {
                    if !SimThread.makeRealtime(priority: priority) {
                        runtime.realtimeFailures.add(1, ordering: .relaxed)
                    }
                }
                pthread_join(try probe.get(), nil)
            }
            var model = SimModel(devices: devices, seed: configuration.seed ?? .random(in: .min ... .max))
            model.tick(atNanoseconds: 0)
            let initialModel = model
            let period = max(1_000_000, configuration.modelPeriod.nanoseconds)
            let modelThread = SimThread.spawn(name: "kiln-sim-model", detached: false) {
                var model = initialModel
                model.run(period: period, runtime: runtime)
            }
            running.threads.append(try modelThread.get())
            for (socket, route) in zip(running.sockets, routes) {
                let acceptThread = SimThread.spawn(name: "kiln-sim-accept", detached: false) {
                    SimListener.acceptLoop(socket: socket, route: route, runtime: runtime)
                }
                running.threads.append(try acceptThread.get())
            }
        } catch {
            Self.tearDown(running)
            throw error
        }
        return running
    }

    /// Stops accepting, closes every connection, stops the model and flushes the timing log.
    /// Safe to call more than once; returns once every thread has ended.
    public func stop() {
        let running = state.withLock { state -> Running? in
            guard case .running(let running) = state else { return nil }
            state = .stopped(running.listeners)
            return running
        }
        if let running { Self.tearDown(running) }
    }

    private static func tearDown(_ running: Running) {
        running.runtime.beginStopping()
        // Shutting a listening socket down wakes the thread blocked in accept().
        for socket in running.sockets { shutdown(socket, Int32(SHUT_RDWR)) }
        for thread in running.threads { pthread_join(thread, nil) }
        for socket in running.sockets { close(socket) }
        // A connection accepted just before the flag was set registers after the first sweep.
        while !running.runtime.waitForConnections(timeout: .milliseconds(100)) {
            running.runtime.beginStopping()
        }
        running.runtime.timingLog?.flush()
    }

    // MARK: Inspection

    /// The listening sockets, once started (and after stopping, the ones that were open).
    public var listeners: [Listener] {
        state.withLock { state in
            switch state {
            case .idle: []
            case .running(let running): running.listeners
            case .stopped(let listeners): listeners
            }
        }
    }

    /// The bound ports, in the order of ``listeners``.
    public var ports: [Int] { listeners.map(\.port) }

    /// The port a device is served on, once started.
    public func port(of device: String) -> Int? {
        listeners.first { $0.deviceNames.contains(device) }?.port
    }

    /// Requests received so far for the device named `device` (0 for an unknown name).
    public func requestCount(device: String) -> Int {
        devices.first { $0.config.name == device }?.requests.load(ordering: .relaxed) ?? 0
    }

    /// Request counts of every device, in map order.
    public var statistics: [DeviceStatistics] {
        let listeners = self.listeners
        return devices.map { device in
            let port =
                listeners.first { $0.deviceNames.contains(device.config.name) }?.port
                ?? configuration.portOverride ?? device.config.port
            return DeviceStatistics(
                name: device.config.name, unit: device.config.unit, port: port,
                requests: device.requests.load(ordering: .relaxed))
        }
    }

    /// Threads that asked for SCHED_FIFO and did not get it (not permitted): non-zero right
    /// after `start()` when ``Configuration/realtimePriority`` cannot be had.
    public var realtimeFailures: Int {
        state.withLock { state in
            guard case .running(let running) = state else { return 0 }
            return running.runtime.realtimeFailures.load(ordering: .relaxed)
        }
    }

    /// The registers (or bit, as 0 or 1) a tag is served from right now, for tests and tools.
    public func servedWords(device: String, tag: String) -> [UInt16]? {
        guard let device = devices.first(where: { $0.config.name == device }),
            let tag = device.config.tags.first(where: { $0.name == tag })
        else { return nil }
        return device.image.withLock { $0.words(of: tag) }
    }
}
