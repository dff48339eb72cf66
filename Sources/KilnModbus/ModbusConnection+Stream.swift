#if canImport(Glibc)
    import Glibc
#endif

/// Reading the byte stream a device sends: frames are cut at the lengths their headers give,
/// a frame is taken as the reply only when it answers the request in flight, and everything
/// else is discarded and counted. Bytes that cannot be a Modbus/TCP header (a protocol id other
/// than 0, an impossible length) leave no way to find the next frame: the connection is closed,
/// with a message that says what the peer sent.
extension ModbusConnection {
    /// recv() calls one read makes at most, so that a device that floods cannot keep a poll
    /// thread (and the devices that share it) from its other work.
    static let maxReads = 16

    /// Reads and discards what arrived with no request in flight: frames nobody asked for (they
    /// are counted in ``discards``), or the end of the connection.
    ///
    /// Called before each request, and by the poll loop when an idle connection turns readable.
    ///
    /// - Throws: `.transport` when the peer closed the connection, sent bytes that are not
    ///   Modbus/TCP, or does not stop sending; the connection is then closed.
    public func discardUnasked() throws(ModbusError) {
        precondition(outstanding == nil, "a request is in flight")
        guard state == .connected else { return }
        try discardBufferedFrames()
        for _ in 0..<ModbusConnection.maxReads {
            let room = ModbusFrame.maxFrameLength - received
            let n = recv(socket, buffer.baseAddress! + received, room, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            if n > 0 {
                received += n
                try discardBufferedFrames()
                if n < room {
                    drained = true
                    return
                }
                continue
            }
            if n == 0 { throw fail(ModbusConnection.closedByPeer) }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK {
                drained = true
                return
            }
            throw fail(ModbusConnection.systemError(code, kind: .transport))
        }
        throw fail(
            ModbusError(
                kind: .transport, code: EPROTO,
                message: "\(endpoint) keeps sending data no request asked for (\(discards.frames) frames discarded)"))
    }

    /// Reads reply bytes and goes through the frames they make, until the reply to the request
    /// in flight.
    ///
    /// - Parameter blocking: let the first recv wait (up to the socket's receive timeout).
    /// - Returns: true when the reply came, its values in `values`; false while it has not.
    func read(blocking: Bool, into values: UnsafeMutableBufferPointer<UInt16>) throws(ModbusError) -> Bool {
        guard let request = outstanding else { preconditionFailure("no request outstanding") }
        var flags = Int32(MSG_NOSIGNAL) | (blocking ? 0 : Int32(MSG_DONTWAIT))
        var short = false
        for _ in 0..<ModbusConnection.maxReads {
            let room = ModbusFrame.maxFrameLength - received
            let n = recv(socket, buffer.baseAddress! + received, room, flags)
            flags |= Int32(MSG_DONTWAIT)
            if n > 0 {
                received += n
                short = n < room
                if try takeReply(to: request, into: values) {
                    // The socket was empty after this recv, and nothing followed the reply:
                    // the next request need not drain it.
                    drained = short && received == 0
                    return true
                }
                if short { return false }
                continue
            }
            if n == 0 { throw fail(ModbusConnection.closedByPeer) }
            let code = errno
            if code == EINTR || code == EAGAIN || code == EWOULDBLOCK { return false }
            throw fail(ModbusConnection.systemError(code, kind: .transport))
        }
        return false
    }

    /// Goes through the complete frames buffered: discards those that do not answer `request`,
    /// stops at the one that does.
    ///
    /// - Returns: true with the reply's values in `values`; false when more bytes are needed.
    /// - Throws: the exception of an exception reply (the connection stays); `.transport` when
    ///   the bytes are not Modbus/TCP (closed).
    private func takeReply(
        to request: ModbusFrame.ReadRequest, into values: UnsafeMutableBufferPointer<UInt16>
    ) throws(ModbusError) -> Bool {
        while let length = try bufferedFrameLength() {
            let frame = UnsafeRawBufferPointer(rebasing: buffer[..<length])
            switch ModbusFrame.verdict(frame, for: request) {
            case .reply:
                ModbusFrame.decodeValues(frame, for: request, into: values)
                consume(length)
                outstanding = nil
                return true
            case .exception(let code):
                consume(length)
                outstanding = nil
                throw ModbusFrame.exception(code)
            case .mismatch:
                discards.mismatched += 1
                discards.bytes += length
                consume(length)
            }
        }
        return false
    }

    /// Discards the complete frames buffered while no request is in flight.
    private func discardBufferedFrames() throws(ModbusError) {
        while let length = try bufferedFrameLength() {
            discards.unasked += 1
            discards.bytes += length
            consume(length)
        }
    }

    /// The length of the complete frame at the front of the buffer; nil while it is incomplete.
    ///
    /// - Throws: `.transport` when the bytes cannot start a Modbus/TCP frame; the connection is
    ///   closed (the next frame cannot be found).
    private func bufferedFrameLength() throws(ModbusError) -> Int? {
        let length: Int?
        do {
            length = try ModbusFrame.frameLength(UnsafeRawBufferPointer(rebasing: buffer[..<received]))
        } catch {
            throw fail(notModbus(error))
        }
        guard let length, received >= length else { return nil }
        return length
    }

    /// Drops the first `length` bytes of the buffer (one frame).
    private func consume(_ length: Int) {
        framesOnSocket += 1
        received -= length
        if received > 0 {
            memmove(buffer.baseAddress!, buffer.baseAddress! + length, received)
        }
    }

    /// Says what the peer sent instead of a frame header: at the start of a connection, the
    /// peer speaks another protocol (an SSH banner, an HTTP error page, a TLS alert); later, the
    /// stream is out of step.
    private func notModbus(_ error: ModbusError) -> ModbusError {
        let start = ModbusFrame.describeStart(UnsafeRawBufferPointer(rebasing: buffer[..<received]))
        let message =
            framesOnSocket == 0
            ? "\(endpoint) does not speak Modbus/TCP (its reply \(start))"
            : "\(endpoint) is out of step after \(framesOnSocket) frames: \(error.message) (what followed \(start))"
        return ModbusError(kind: .transport, code: EPROTO, message: message)
    }

    /// Closes the connection and returns `error`, for `throw fail(...)`.
    private func fail(_ error: ModbusError) -> ModbusError {
        close()
        return error
    }

    static let closedByPeer = ModbusError(
        kind: .transport, code: ECONNRESET, message: "the device closed the connection")
}
