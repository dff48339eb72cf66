import CModbus
import Foundation
import KilnCore

/// The devices one listening port serves, indexed by Modbus unit id.
struct SimPortRoute: Sendable {
    let port: Int
    /// 256 entries: the device for each unit id, or nil.
    let units: [SimDevice?]

    init(port: Int, devices: [SimDevice]) {
        self.port = port
        var units = [SimDevice?](repeating: nil, count: 256)
        for device in devices { units[device.config.unit] = device }
        self.units = units
    }
}

/// One accepted client connection, served on its own thread until the client leaves or the
/// simulator stops.
///
/// Frames are read with plain `recv` (see ``SimFrameReader``) and answered with libmodbus's
/// `modbus_reply` on a context bound to the socket; faults answer with their own exception
/// frames or not at all. A request for a unit id the port does not serve gets exception 0x0B
/// (gateway target device failed to respond), as a Modbus/TCP gateway in front of several
/// devices answers.
struct SimConnection {
    /// The exception a request for an unknown unit id gets.
    static let unknownUnitException: UInt8 = 0x0B

    let socket: Int32
    let id: Int
    let route: SimPortRoute
    let runtime: SimRuntime

    /// Serves the connection, then closes its socket. Runs on the connection's own thread.
    func run() {
        defer { runtime.threadEnded() }
        if let priority = runtime.realtimePriority, !SimThread.makeRealtime(priority: priority) {
            runtime.realtimeFailures.add(1, ordering: .relaxed)
        }
        guard runtime.register(socket: socket) else {
            close(socket)
            return
        }
        defer {
            runtime.unregister(socket: socket)
            close(socket)
        }
        guard let context = modbus_new_tcp("127.0.0.1", 502) else { return }
        defer { modbus_free(context) }
        modbus_set_socket(context, socket)
        var timing = SimTimingLog.Buffer()
        defer { runtime.timingLog?.write(&timing) }
        var reader = SimFrameReader(socket: socket)
        while reader.next({ adu in handle(adu, context: context, timing: &timing) }) {}
    }

    /// Answers one request; false ends the connection (the reply could not be sent, or the
    /// simulator is stopping).
    private func handle(_ adu: UnsafeRawBufferPointer, context: OpaquePointer, timing: inout SimTimingLog.Buffer)
        -> Bool
    {
        let now = SimThread.monotonicNanoseconds()
        let unit = adu[6]
        if let log = runtime.timingLog {
            timing.append(connection: id, unit: unit, nanoseconds: now)
            if timing.isFull { log.write(&timing) }
        }
        guard let device = route.units[Int(unit)] else {
            return sendException(Self.unknownUnitException, for: adu)
        }
        device.requests.add(1, ordering: .relaxed)
        let request = SimRequest(adu)
        var action = SimReplyPlan.Action.reply
        if !device.plan.isEmpty {
            let decision = device.plan.decide(request, atNanoseconds: now - runtime.startNanoseconds)
            if decision.delayNanoseconds > 0, !runtime.sleep(untilNanoseconds: now + decision.delayNanoseconds) {
                return false
            }
            action = decision.action
        }
        switch action {
        case .drop: return true
        case .exception(let code): return sendException(code, for: adu)
        case .reply: return device.reply(context: SimModbusContext(pointer: context), adu: adu, request: request) >= 0
        }
    }
}

extension SimConnection {
    /// Answers `adu` with Modbus exception `code`.
    ///
    /// Built here rather than with `modbus_reply_exception`, which refuses codes above 11, while
    /// a scripted fault may name any code a reply can carry.
    fileprivate func sendException(_ code: UInt8, for adu: UnsafeRawBufferPointer) -> Bool {
        // MBAP: the request's transaction id, protocol 0, length 3, its unit; then the PDU.
        let reply: [UInt8] = [adu[0], adu[1], 0, 0, 0, 3, adu[6], adu[7] | 0x80, code]
        let sent = reply.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent == reply.count
    }
}

/// Splits a TCP byte stream into Modbus/TCP frames by their MBAP length field.
///
/// libmodbus's `modbus_receive` waits in `select()`, which cannot watch a descriptor numbered
/// 1024 or more; with hundreds of clients the simulator passes that, so it frames requests
/// itself with blocking `recv` (one call usually brings a whole request) and keeps libmodbus for
/// the replies.
struct SimFrameReader: ~Copyable {
    private let socket: Int32
    /// `capacity` bytes receive data; the slack behind them keeps a frame's longest possible
    /// reading (260 bytes from its start) inside the allocation even when the frame is short.
    private let buffer: UnsafeMutableRawBufferPointer
    private let capacity = 4096
    private var start = 0
    private var end = 0

    init(socket: Int32) {
        self.socket = socket
        buffer = .allocate(byteCount: capacity + 512, alignment: 8)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { buffer.deallocate() }

    /// Waits for the next complete frame and passes it to `body`.
    ///
    /// - Returns: false when the peer closed, the stream is not Modbus/TCP, or `body` said stop.
    mutating func next(_ body: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        while true {
            if end - start >= SimRequest.headerLength {
                let protocolID = Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
                let length = Int(buffer[start + 4]) << 8 | Int(buffer[start + 5])
                guard protocolID == 0, (2...254).contains(length) else { return false }
                let total = 6 + length
                if end - start >= total {
                    let frame = UnsafeRawBufferPointer(rebasing: buffer[start..<start + total])
                    start += total
                    if start == end { (start, end) = (0, 0) }
                    return body(frame)
                }
            }
            if capacity - start < 260 {
                buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
                (start, end) = (0, end - start)
            }
            let received = recv(socket, buffer.baseAddress! + end, capacity - end, 0)
            if received > 0 {
                end += received
            } else if received < 0, errno == EINTR {
                continue
            } else {
                return false
            }
        }
    }
}
