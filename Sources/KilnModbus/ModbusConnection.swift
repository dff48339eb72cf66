import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// The poller's Modbus/TCP connection to one device: connects without blocking, sends one read
/// request at a time and takes its reply apart with ``ModbusFrame``.
///
/// Nothing a device sends is taken for a reply unless it answers the request in flight
/// (ModbusConnection+Stream.swift): each request carries a random transaction id, whatever is
/// pending is discarded before a request goes out, and a frame whose transaction id, unit,
/// function or byte count differs from the request's is discarded (and counted in
/// ``discards``) while the reply is still awaited.
///
/// It is built for a thread that waits on many devices at once (poll()): ``startConnect()``
/// never blocks on the network, ``send(read:address:count:)`` and ``receive(into:)`` never
/// block at all, and ``socket`` is what to wait on. For a thread that polls one device,
/// ``receive(into:until:)`` waits for the reply in one blocking recv.
///
/// libmodbus's connect cannot be used here: `modbus_connect` waits for the connection (up to
/// the response timeout, for a device that is down), and that wait would hold up every other
/// device the thread polls.
///
/// Not `Sendable`: it belongs to one thread at a time.
public final class ModbusConnection {
    public enum State: Sendable, Hashable {
        case closed
        /// connect() is in progress: wait until ``socket`` is writable, then ``finishConnect()``.
        case connecting
        case connected
    }

    public let host: String
    public let port: Int
    public let unit: UInt8
    public let timeout: Duration
    public private(set) var state = State.closed
    /// The socket, or -1 when closed.
    public private(set) var socket: Int32 = -1
    /// Counts the sockets opened, so a poll loop can tell a new socket from an old one that had
    /// the same descriptor number.
    public private(set) var generation = 0

    /// The request in flight, if any.
    var outstanding: ModbusFrame.ReadRequest?
    /// Received bytes not yet consumed (at most one frame's worth), then room for the request.
    let buffer: UnsafeMutableRawBufferPointer
    var received = 0
    /// True when the socket was last seen empty with nothing in flight (a recv came up short, or
    /// the poll loop saw no input): then a request need not drain it first. Reset by each send.
    var drained = false
    /// Complete frames read on this socket: garbage at the start means another protocol, later
    /// a stream out of step.
    var framesOnSocket = 0
    var ids = TransactionIDs()
    /// Which of the host's addresses the next connect tries: a failed attempt moves on to the next.
    private var addressIndex = 0
    /// Frames and bytes thrown away so far, over every socket this connection opened.
    public internal(set) var discards = ModbusDiscards()
    /// `host:port`, as messages name the peer.
    public let endpoint: String

    /// - Parameters:
    ///   - host: IP address or host name (a name is resolved on each connect, which blocks).
    ///   - port: TCP port.
    ///   - unit: Modbus unit id.
    ///   - timeout: the response timeout; also the connect timeout.
    public init(host: String, port: Int, unit: Int, timeout: Duration) {
        self.host = host
        self.port = port
        self.unit = UInt8(truncatingIfNeeded: unit)
        self.timeout = timeout
        endpoint = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        buffer = .allocate(byteCount: ModbusFrame.maxFrameLength + ModbusFrame.requestLength, alignment: 8)
    }

    deinit {
        close()
        buffer.deallocate()
    }

    public var isConnected: Bool { state == .connected }
    /// A request was sent and its reply has not been taken yet.
    public var isAwaitingReply: Bool { outstanding != nil }

    /// True when `host` is an IPv4 or IPv6 address, so connecting never waits for a name lookup.
    public static func isNumericHost(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    // MARK: - Connecting

    /// Starts a TCP connection without waiting for it.
    ///
    /// - Returns: true when the connection is already made (common on loopback); false while it
    ///   is in progress.
    /// - Throws: `.connect` when it failed at once (refused, no route, name not found).
    public func startConnect() throws(ModbusError) -> Bool {
        close()
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let list else {
            throw ModbusError(
                kind: .connect, code: EHOSTUNREACH, message: "\(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var addresses: [UnsafeMutablePointer<addrinfo>] = []
        var next: UnsafeMutablePointer<addrinfo>? = list
        while let entry = next {
            addresses.append(entry)
            next = entry.pointee.ai_next
        }
        let address = addresses[addressIndex % addresses.count].pointee
        let fd = Glibc.socket(
            address.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue),
            address.ai_protocol)
        if fd == -1 { throw ModbusConnection.systemError(kind: .connect) }
        socket = fd
        generation &+= 1
        state = .connecting
        // Requests are 12 bytes: send each at once rather than wait to fill a segment (as libmodbus does).
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if Glibc.connect(fd, address.ai_addr, address.ai_addrlen) == 0 {
            try connected()
            return true
        }
        let code = errno
        if code == EINPROGRESS { return false }
        addressIndex &+= 1
        close()
        throw ModbusConnection.connectError(code)
    }

    /// Completes a connection once ``socket`` became writable (or reported an error).
    public func finishConnect() throws(ModbusError) {
        precondition(state == .connecting)
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(socket, SOL_SOCKET, SO_ERROR, &code, &length) == -1 { code = errno }
        if code != 0 {
            addressIndex &+= 1
            close()
            throw ModbusConnection.connectError(code)
        }
        try connected()
    }

    /// Gives up a connection attempt that took longer than the timeout.
    public func abandonConnect() -> ModbusError {
        addressIndex &+= 1
        close()
        return ModbusError(kind: .connect, code: ETIMEDOUT, message: String(cString: strerror(ETIMEDOUT)))
    }

    /// Waits until a connection in progress is made or fails, or until the monotonic deadline.
    /// Returns false at the deadline.
    public func waitConnected(until deadline: Int64) -> Bool {
        wait(for: Int16(POLLOUT), until: deadline)
    }

    private func connected() throws(ModbusError) {
        // From here the socket blocks, so that a thread polling one device waits for its reply in
        // one recv; a thread polling many never blocks on it (MSG_DONTWAIT).
        let flags = fcntl(socket, F_GETFL)
        if flags == -1 || fcntl(socket, F_SETFL, flags & ~O_NONBLOCK) == -1 {
            let error = ModbusConnection.systemError(kind: .connect)
            close()
            throw error
        }
        let ns = max(timeout.nanoseconds, 1000)
        var limit = timeval(tv_sec: Int(ns / 1_000_000_000), tv_usec: Int(ns % 1_000_000_000 / 1000))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        state = .connected
    }

    /// Takes over a connected stream socket made elsewhere (one end of a socketpair, in the
    /// fuzz target and tests), as if ``startConnect()`` had connected it. The connection owns it
    /// from here and closes it.
    public func adopt(connectedSocket fd: Int32) throws(ModbusError) {
        close()
        socket = fd
        generation &+= 1
        try connected()
    }

    /// Closes the connection; the next ``startConnect()`` opens a new one.
    public func close() {
        if socket != -1 { Glibc.close(socket) }
        socket = -1
        state = .closed
        outstanding = nil
        discards.bytes += received
        received = 0
        drained = false
        framesOnSocket = 0
    }

    // MARK: - Requests

    /// Sends a read request (functions 1–4) without blocking, under a fresh random transaction
    /// id, after discarding whatever the device sent since the last reply.
    ///
    /// - Throws: `.transport` when the connection is broken, or what was pending shows the peer
    ///   does not speak Modbus/TCP; it is closed.
    public func send(read kind: RegisterKind, address: Int, count: Int) throws(ModbusError) {
        precondition(state == .connected && outstanding == nil)
        if !drained { try discardUnasked() }
        let transaction = ids.draw()
        let function = ModbusFrame.readFunction(kind)
        let request = UnsafeMutableRawBufferPointer(rebasing: buffer[ModbusFrame.maxFrameLength...])
        ModbusFrame.encodeRead(
            into: request, transaction: transaction, unit: unit, function: function,
            address: UInt16(truncatingIfNeeded: address), count: UInt16(truncatingIfNeeded: count))
        var sent: Int
        repeat {
            sent = Glibc.send(
                socket, request.baseAddress, ModbusFrame.requestLength, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
        } while sent == -1 && errno == EINTR
        if sent != ModbusFrame.requestLength {
            let error =
                sent == -1
                ? ModbusConnection.systemError(kind: .transport)
                : ModbusError(kind: .transport, code: EAGAIN, message: "the device does not take requests")
            close()
            throw error
        }
        outstanding = ModbusFrame.ReadRequest(transaction: transaction, unit: unit, function: function, count: count)
        drained = false
    }

    /// Takes whatever reply bytes have arrived, without blocking.
    ///
    /// - Returns: true when the reply arrived: its values are in `values`. False while it has
    ///   not (frames that answer something else are discarded meanwhile).
    /// - Throws: `.exception(code)` for an exception reply (the connection stays up);
    ///   `.transport` when the connection broke or the stream is not Modbus/TCP (closed).
    public func receive(into values: UnsafeMutableBufferPointer<UInt16>) throws(ModbusError) -> Bool {
        try read(blocking: false, into: values)
    }

    /// Waits for the reply until the monotonic deadline: one blocking recv when it comes in
    /// one piece, as it does on a LAN.
    ///
    /// - Returns: true with the values in `values`; false at the deadline (then call
    ///   ``abandonReply()``).
    public func receive(into values: UnsafeMutableBufferPointer<UInt16>, until deadline: Int64) throws(ModbusError)
        -> Bool
    {
        // The socket's receive timeout (SO_RCVTIMEO) is the response timeout, so this blocks no
        // longer than that; a reply in pieces, after a discarded frame, or a signal, goes on
        // with poll() to the deadline.
        if try read(blocking: true, into: values) { return true }
        while wait(for: Int16(POLLIN), until: deadline) {
            if try read(blocking: false, into: values) { return true }
        }
        return false
    }

    /// Gives up the outstanding request after the response timeout. The connection is closed: a
    /// late reply must never be taken for the next request.
    public func abandonReply() -> ModbusError {
        close()
        return ModbusError(kind: .timeout, code: ETIMEDOUT, message: String(cString: strerror(ETIMEDOUT)))
    }

    /// Tells the connection that a poll() just saw its socket with nothing to read, so the next
    /// request need not drain it first (one system call fewer a request on the poll path).
    public func noteNothingPending() {
        if state == .connected, outstanding == nil { drained = true }
    }

    /// poll() on the socket until the monotonic deadline; true when it is ready.
    private func wait(for events: Int16, until deadline: Int64) -> Bool {
        while true {
            let left = deadline - ModbusConnection.monotonicNanoseconds()
            if left <= 0 { return false }
            var entry = pollfd(fd: socket, events: events, revents: 0)
            // Rounded up: poll() must not return before the deadline.
            let rc = poll(&entry, 1, Int32(min((left + 999_999) / 1_000_000, Int64(Int32.max))))
            if rc > 0 { return true }
            if rc == -1, errno != EINTR { return true }  // let the read or finishConnect report it
        }
    }

    static func monotonicNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    // MARK: - Errors

    static func connectError(_ code: Int32) -> ModbusError {
        ModbusError(kind: .connect, code: code, message: String(cString: strerror(code)))
    }

    static func systemError(_ code: Int32 = errno, kind: ModbusError.Kind) -> ModbusError {
        ModbusError(kind: kind, code: code, message: String(cString: strerror(code)))
    }
}
