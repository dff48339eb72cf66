import KilnCore
import KilnModbus

#if canImport(Glibc)
    import Glibc
#endif

/// The session's state machine. Nothing here waits: each call moves the scan in progress as far
/// as it can go, and `step` says what the session waits for next. Whoever owns the session
/// waits (on the socket, until `step`'s deadline) and calls back.
extension DeviceSession {
    enum Step: Equatable {
        /// Nothing outstanding.
        case idle
        /// A connection is being made; it fails at the deadline.
        case connecting(deadline: Int64)
        /// A request is out; its reply is due by the deadline.
        case awaiting(deadline: Int64)
        /// The device answered busy; the request goes again at this time.
        case retrying(at: Int64)
    }

    /// When the session needs to be called back even if its socket stays quiet, or nil.
    var deadline: Int64? {
        switch step {
        case .idle: nil
        case .connecting(let deadline), .awaiting(let deadline): deadline
        case .retrying(let at): at
        }
    }

    /// The poll() events the session waits for on its socket: writable for a connection,
    /// readable for a reply; readable too while a connection is idle, so that what a device
    /// sends unasked (or its closing the connection) is seen when it happens, not taken later
    /// for a reply. 0 when there is no socket.
    var socketEvents: Int16 {
        switch step {
        case .connecting: Int16(POLLOUT)
        case .awaiting: Int16(POLLIN)
        case .idle, .retrying: connection.isConnected ? Int16(POLLIN) : 0
        }
    }

    /// True when no scan is queued or being read.
    var isIdle: Bool { active == nil && queued.isEmpty }

    /// Queues scan class `scan` to be read. Returns false, and queues nothing, when that scan is
    /// still queued or being read from its previous deadline: an overrun.
    func enqueue(scan: Int) -> Bool {
        if active?.scan == scan || queued.contains(scan) { return false }
        queued.append(scan)
        return true
    }

    /// Starts the next request, or the next queued scan, unless the session is waiting.
    func advance(now: Int64, into samples: inout [Sample]) {
        guard step == .idle else { return }
        while true {
            if active == nil {
                guard !queued.isEmpty else { return }
                active = (scan: queued.removeFirst(), block: 0, attempt: 0)
            }
            let (scan, b, _) = active!
            let blocks = scanClasses[scan].blocks
            if b >= blocks.count {
                finishScan()
                continue
            }
            switch connection.state {
            case .connecting:
                step = .connecting(deadline: now + device.timeout.nanoseconds)
                return
            case .closed:
                if now < nextConnectAttempt, let error = lastConnectError {
                    appendBad(blocks: blocks[b...], error: error, into: &samples)
                    finishScan()
                    continue
                }
                do {
                    if try !connection.startConnect() {
                        step = .connecting(deadline: now + device.timeout.nanoseconds)
                        return
                    }
                } catch {
                    countFailedConnect()
                    connectionFailed(error, at: now, into: &samples)
                    continue
                }
            case .connected:
                break
            }
            let block = blocks[b]
            countRequest(block.register)
            do {
                try connection.send(read: block.register, address: block.start, count: block.count)
            } catch {
                requestEnded(now: requestSentAt)
                countFailure(error)
                connectionFailed(error, at: now, into: &samples)
                continue
            }
            step = .awaiting(deadline: now + device.timeout.nanoseconds)
            return
        }
    }

    /// The socket is ready: a connection was made (or failed), or reply bytes arrived.
    func socketReady(now: Int64, into samples: inout [Sample]) {
        switch step {
        case .connecting:
            do {
                try connection.finishConnect()
            } catch {
                step = .idle
                countFailedConnect()
                connectionFailed(error, at: now, into: &samples)
                advance(now: now, into: &samples)
                return
            }
            step = .idle
            advance(now: now, into: &samples)
        case .awaiting:
            do {
                if try connection.receive(into: words) { replied(now: now, into: &samples) }
            } catch {
                replyFailed(error, now: now, into: &samples)
            }
        case .idle, .retrying:
            unaskedArrived(now: now, into: &samples)
        }
    }

    /// An idle connection turned readable: the device sent something no request asked for,
    /// or closed the connection. Frames are discarded and counted and the connection kept; a
    /// closed connection is reopened by the next request; anything that is not Modbus/TCP
    /// closes the connection as a failure (the rest of a scan waiting for a busy retry reads bad).
    func unaskedArrived(now: Int64, into samples: inout [Sample]) {
        do {
            try connection.discardUnasked()
        } catch {
            reportDiscards()
            if error.code == ECONNRESET, active == nil { return }
            step = .idle
            countFailure(error)
            connectionFailed(error, at: now, into: &samples)
            advance(now: now, into: &samples)
            return
        }
        reportDiscards()
    }

    /// Logs the frames the connection discarded: the first time, then each time their number
    /// passes a power of two, so a device that keeps at it does not flood the log.
    func reportDiscards() {
        let discards = connection.discards
        let before = reportedDiscards
        guard discards.frames > before else { return }
        reportedDiscards = discards.frames
        guard before.leadingZeroBitCount != discards.frames.leadingZeroBitCount else { return }
        logger.warning(
            "device sent frames that answer no request; discarded",
            metadata: [
                "kiln.endpoint": "\(connection.endpoint)", "kiln.unasked": "\(discards.unasked)",
                "kiln.mismatched": "\(discards.mismatched)", "kiln.bytes": "\(discards.bytes)",
            ])
    }

    /// The reply to the request in progress arrived, its values in `words`.
    func replied(now: Int64, into samples: inout [Sample]) {
        step = .idle
        requestEnded(now: now)
        guard let (scan, b, _) = active else { return }
        if connectFailures > 0 {
            logger.info("device answers again", metadata: ["kiln.failures": "\(connectFailures)"])
            connectFailures = 0
            lastConnectError = nil
        }
        appendGood(block: scanClasses[scan].blocks[b], into: &samples)
        active = (scan: scan, block: b + 1, attempt: 0)
        advance(now: now, into: &samples)
    }

    /// The request in progress failed: an exception reply, or a broken connection (closed).
    func replyFailed(_ error: ModbusError, now: Int64, into samples: inout [Sample]) {
        step = .idle
        requestEnded(now: now)
        guard let (scan, b, attempt) = active else { return }
        if error.isBusy, attempt < DeviceSession.busyRetries {
            stats.busyRetries += 1
            active = (scan: scan, block: b, attempt: attempt + 1)
            step = .retrying(at: now + DeviceSession.busyDelay * Int64(attempt + 1))
            return
        }
        countFailure(error)
        let block = scanClasses[scan].blocks[b]
        if error.isIllegalAddress, let parts = ReadPlanner.split(block, of: device) {
            logger.info(
                "device refused a block with illegal address; splitting it",
                metadata: ["kiln.block": "\(block.register) \(block.start)+\(block.count)"])
            scanClasses[scan].blocks.replaceSubrange(b...b, with: parts)
            active = (scan: scan, block: b, attempt: 0)
        } else if error.needsReconnect {
            // The connection is closed; the rest of this scan would cost a timeout each.
            connectionFailed(error, at: now, into: &samples)
        } else {
            appendBad(blocks: scanClasses[scan].blocks[b...b], error: error, into: &samples)
            active = (scan: scan, block: b + 1, attempt: 0)
        }
        advance(now: now, into: &samples)
    }

    /// `deadline` passed: the connection or the reply timed out, or a busy retry is due.
    func deadlinePassed(now: Int64, into samples: inout [Sample]) {
        switch step {
        case .idle:
            return
        case .connecting(let deadline):
            guard now >= deadline else { return }
            step = .idle
            countFailedConnect()
            connectionFailed(connection.abandonConnect(), at: now, into: &samples)
        case .awaiting(let deadline):
            guard now >= deadline else { return }
            step = .idle
            requestEnded(now: now)
            let error = connection.abandonReply()
            countFailure(error)
            connectionFailed(error, at: now, into: &samples)
        case .retrying(let at):
            guard now >= at else { return }
            step = .idle
        }
        advance(now: now, into: &samples)
    }

    /// The connection failed or was closed after an error: marks the rest of the scan in
    /// progress bad and backs off before the next connection attempt.
    func connectionFailed(_ error: ModbusError, at now: Int64, into samples: inout [Sample]) {
        connectFailures += 1
        lastConnectError = error
        let exponent = min(connectFailures - 1, 20)
        let backoff = min(DeviceSession.minBackoff << exponent, DeviceSession.maxBackoff)
        // Jitter in [50%, 100%] keeps a plant's devices from reconnecting in lock-step.
        let jittered = backoff / 2 + Int64.random(in: 0...(backoff / 2))
        nextConnectAttempt = now + jittered
        if connectFailures == 1 || connectFailures.isPowerOfTwo {
            logger.warning(
                "device unreachable; retrying with back-off",
                metadata: [
                    "kiln.error": "\(error)", "kiln.attempts": "\(connectFailures)",
                    "kiln.retry_ms": "\(jittered / 1_000_000)",
                ])
        }
        if let (scan, b, _) = active {
            appendBad(blocks: scanClasses[scan].blocks[b...], error: error, into: &samples)
            finishScan()
        }
    }

    func finishScan() {
        active = nil
        stats.cycles += 1
        reportDiscards()
    }
}
