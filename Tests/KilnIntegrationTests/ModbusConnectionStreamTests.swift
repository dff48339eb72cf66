import Foundation
import KilnCore
import Testing

@testable import KilnModbus

#if canImport(Glibc)
    import Glibc
#endif

/// ``ModbusConnection`` against a raw loopback socket the test writes to byte by byte: what is
/// pending before a request is discarded, frames that do not answer the request are skipped,
/// and transaction ids cannot be guessed.
struct ModbusConnectionStreamTests {
    /// A listening socket, a connection made to it, and the accepted end the test plays the
    /// device on.
    final class Pair {
        let listener: Int32
        let device: Int32
        let connection: ModbusConnection
        let port: Int

        init() throws {
            let (fd, port) = try Loopback.bindAnyPort()
            listen(fd, 4)
            listener = fd
            self.port = port
            connection = ModbusConnection(host: Loopback.host, port: port, unit: 1, timeout: .milliseconds(500))
            if try !connection.startConnect() {
                #expect(connection.waitConnected(until: ModbusConnection.monotonicNanoseconds() + 2_000_000_000))
                try connection.finishConnect()
            }
            device = accept(fd, nil, nil)
        }

        deinit {
            connection.close()
            close(device)
            close(listener)
        }

        func write(_ bytes: [UInt8]) {
            #expect(bytes.withUnsafeBytes { Glibc.send(device, $0.baseAddress, $0.count, 0) } == bytes.count)
        }

        /// Reads the 12-byte request the connection sent; returns its transaction id.
        func request() -> UInt16 {
            var bytes = [UInt8](repeating: 0, count: ModbusFrame.requestLength)
            let n = bytes.withUnsafeMutableBytes { recv(device, $0.baseAddress, $0.count, Int32(MSG_WAITALL)) }
            #expect(n == ModbusFrame.requestLength)
            return UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        }

        /// A reply to a read of `values.count` holding registers.
        static func reply(_ transaction: UInt16, unit: UInt8 = 1, _ values: [UInt16]) -> [UInt8] {
            [
                UInt8(transaction >> 8), UInt8(transaction & 0xFF), 0, 0, 0, UInt8(3 + 2 * values.count), unit, 3,
                UInt8(2 * values.count),
            ] + values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        }

        /// Waits for the reply to the request in flight.
        func receive(count: Int) throws(ModbusError) -> [UInt16]? {
            let values = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: count)
            defer { values.deallocate() }
            values.initialize(repeating: 0)
            let deadline = ModbusConnection.monotonicNanoseconds() + 500_000_000
            guard try connection.receive(into: values, until: deadline) else { return nil }
            return Array(values)
        }
    }

    @Test func framesSentBeforeTheRequestAreDiscardedAndCounted() throws {
        let pair = try Pair()
        // Guesses at the first ids, sent before any request.
        pair.write((0..<4).flatMap { Pair.reply(UInt16($0), [0xDEAD, 0xDEAD]) })
        usleep(50_000)
        try pair.connection.send(read: .holding, address: 0, count: 2)
        let id = pair.request()
        pair.write(Pair.reply(id, [1, 2]))
        #expect(try pair.receive(count: 2) == [1, 2])
        #expect(pair.connection.discards.unasked == 4)
        #expect(pair.connection.discards.mismatched == 0)
    }

    @Test func framesThatAnswerSomethingElseAreSkippedUntilTheReply() throws {
        let pair = try Pair()
        try pair.connection.send(read: .holding, address: 0, count: 2)
        let id = pair.request()
        pair.write(
            Pair.reply(id &+ 1, [0xDEAD, 0xDEAD]) + Pair.reply(id, unit: 2, [0xDEAD, 0xDEAD])
                + Pair.reply(id, [0xDEAD, 0xDEAD, 0xDEAD]))
        usleep(20_000)
        pair.write(Pair.reply(id, [7, 8]))
        #expect(try pair.receive(count: 2) == [7, 8])
        #expect(pair.connection.discards.mismatched == 3)
        #expect(pair.connection.isConnected)
    }

    @Test func onlyMismatchesEndInATimeoutNotInAValue() throws {
        let pair = try Pair()
        try pair.connection.send(read: .holding, address: 0, count: 1)
        let id = pair.request()
        pair.write(Pair.reply(id &+ 1, [0xDEAD]) + Pair.reply(id &- 1, [0xDEAD]))
        #expect(try pair.receive(count: 1) == nil)
        #expect(pair.connection.discards.mismatched == 2)
    }

    @Test func transactionIDsCannotBeGuessed() throws {
        let pair = try Pair()
        var ids: [UInt16] = []
        for i in 0..<64 {
            try pair.connection.send(read: .holding, address: 0, count: 1)
            let id = pair.request()
            ids.append(id)
            pair.write(Pair.reply(id, [UInt16(i)]))
            #expect(try pair.receive(count: 1) == [UInt16(i)])
        }
        #expect(ids.first != 1 || ids[1] != 2, "ids count up from 1")
        let steps = zip(ids, ids.dropFirst()).map { $1 &- $0 }
        #expect(!steps.contains(0), "an id repeated at once")
        #expect(Set(steps).count > 32, "ids go up in steps a device could guess: \(steps)")
    }

    @Test func anSSHServerIsNamedWithItsPort() throws {
        let pair = try Pair()
        pair.write(Array("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".utf8))
        usleep(50_000)
        do {
            try pair.connection.send(read: .holding, address: 0, count: 1)
            Issue.record("a request went out to an SSH server")
        } catch {
            #expect(error.kind == .transport)
            #expect(
                error.message == "127.0.0.1:\(pair.port) does not speak Modbus/TCP (its reply begins "
                    + "\"SSH-2.0-OpenSSH_9.2p1 Debian-2\")", "\(error.message)")
            #expect(error.status == .badCommunicationError)
        }
        #expect(!pair.connection.isConnected)
    }
}
