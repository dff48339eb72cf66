import KilnCore
import KilnModbus

/// Turning replies and failures into samples.
extension DeviceSession {
    /// A sample per tag of `block`, decoded from `words` (the block's reply).
    func appendGood(block: ReadBlock, into samples: inout [Sample]) {
        let ts = WallClock.epochMicroseconds()
        let words = UnsafeBufferPointer(self.words)
        decoders.withUnsafeBufferPointer { decoders in
            for t in block.tags {
                let decoder = decoders[t]
                let unscaled = decoder.raw(UnsafeBufferPointer(rebasing: words[(decoder.address - block.start)...]))
                let value = decoder.engineering(unscaled)
                samples.append(
                    Sample(
                        device: index, tag: t, value: value, raw: value, unscaled: unscaled, status: .good,
                        timestamp: ts))
            }
        }
    }

    /// A bad sample, with the error's status and reason, per tag of `blocks`.
    func appendBad(blocks: ArraySlice<ReadBlock>, error: ModbusError, into samples: inout [Sample]) {
        let ts = WallClock.epochMicroseconds()
        let reason = error.description
        for block in blocks {
            for t in block.tags {
                samples.append(
                    Sample(
                        device: index, tag: t, value: nil, raw: nil, status: error.status, reason: reason,
                        fault: .comm, timestamp: ts))
            }
        }
    }
}
