import CZlib
import KilnCore
import KilnGateway
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The `/api/v1/tags` document, built at most every `maxAge` from one pass over the live state
/// (on a thread of its own, while requests go on getting the previous one) and shared by every
/// request until then: at 10,000 tags, encoding per request would cost the
/// gateway its CPU (an earlier attempt served 17 requests a second). `age_ms` of each tag is
/// relative to the document's `generated_at`.
///
/// Each tag's fixed part (`{"device":…,"tag":…,"unit":…,"poll_ms":…`) is encoded once, at start.
final class TagsSnapshot: Sendable {
    let live: LiveState
    let maxAge: Duration
    private let prefixes: [[UInt8]]
    private let clock = ContinuousClock()

    private struct State {
        var plain: ByteBuffer?
        /// The same document gzipped, kept once a client that takes gzip has asked.
        var gzipped: ByteBuffer?
        var gzipWanted = false
        var built: ContinuousClock.Instant?
        var building = false
        var size = 4096
    }
    private let state = Mutex(State())

    init(config: GatewayConfig, live: LiveState, maxAge: Duration = .milliseconds(100)) {
        self.live = live
        self.maxAge = maxAge
        var prefixes: [[UInt8]] = []
        prefixes.reserveCapacity(live.index.count)
        for device in config.devices {
            for tag in device.tags {
                var json = JSONBytes(capacity: 96)
                json.raw("{\"device\":")
                json.string(device.name)
                json.raw(",\"tag\":")
                json.string(tag.name)
                json.raw(",\"unit\":")
                json.string(tag.unit)
                json.raw(",\"poll_ms\":")
                json.integer(Int64((tag.poll / .milliseconds(1)).rounded()))
                prefixes.append(json.bytes)
            }
        }
        self.prefixes = prefixes
    }

    /// The current document (gzipped when asked): the shared one, rebuilt on a thread of its own
    /// once it is `maxAge` old, so no request waits for an encoding but the very first.
    func document(gzip: Bool = false) -> ByteBuffer {
        let now = clock.now
        let (plain, gzipped, rebuild) = state.withLock { s -> (ByteBuffer?, ByteBuffer?, Bool) in
            if gzip { s.gzipWanted = true }
            let stale = s.built.map { now - $0 >= maxAge } ?? true
            let rebuild = stale && !s.building && s.plain != nil
            if rebuild { s.building = true }
            return (s.plain, s.gzipped, rebuild)
        }
        if rebuild {
            var handle = pthread_t()
            let rc = OSThread.spawn(name: "kiln-http-tags", detached: true, handle: &handle) { self.rebuild() }
            if rc != 0 { state.withLock { $0.building = false } }
        }
        if gzip, let gzipped { return gzipped }
        if !gzip, let plain { return plain }
        // The first request (or the first that takes gzip): build in place.
        return store(gzip: gzip, started: now).pick(gzip)
    }

    private func rebuild() {
        store(gzip: state.withLock { $0.gzipWanted }, started: clock.now)
        state.withLock { $0.building = false }
    }

    /// Builds the document (and its gzip), and keeps it unless a newer one is kept already.
    @discardableResult
    private func store(gzip: Bool, started: ContinuousClock.Instant) -> Built {
        let size = state.withLock { $0.size }
        let bytes = build(capacity: size + size / 8)
        let plain = ByteBuffer(bytes: bytes)
        let gzipped = gzip ? TagsSnapshot.gzip(plain) : nil
        state.withLock { s in
            guard s.built.map({ $0 <= started }) ?? true else { return }
            s.plain = plain
            s.gzipped = gzipped
            s.built = started
            s.size = bytes.count
        }
        return Built(plain: plain, gzipped: gzipped)
    }

    private struct Built {
        var plain: ByteBuffer
        var gzipped: ByteBuffer?
        func pick(_ gzip: Bool) -> ByteBuffer { gzip ? gzipped ?? plain : plain }
    }

    static func gzip(_ buffer: ByteBuffer) -> ByteBuffer {
        buffer.withUnsafeReadableBytes { input in
            var room = kiln_gzip_bound(input.count)
            var out = ByteBuffer()
            out.reserveCapacity(room)
            let written = out.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { output in
                let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
                let rc = kiln_gzip(base, input.count, output.baseAddress!.assumingMemoryBound(to: UInt8.self), &room, 1)
                return rc == 0 ? room : 0
            }
            return written > 0 ? out : ByteBuffer()
        }
    }

    /// Encodes every tag, in config order, from one pass over the live state.
    func build(capacity: Int) -> [UInt8] {
        let generated = WallClock.epochMicroseconds()
        let index = live.index
        var samples = [Sample?](repeating: nil, count: index.count)
        live.forEach { s in
            if let slot = index.slot(of: s) { samples[slot] = s }
        }
        var json = JSONBytes(capacity: capacity)
        json.raw("{\"generated_at\":")
        json.time(micros: generated)
        json.raw(",\"tags\":[")
        for slot in 0..<min(index.count, prefixes.count) {
            if slot > 0 { json.raw(",") }
            json.raw(prefixes[slot])
            if let s = samples[slot] {
                TagsSnapshot.encode(s, generated: generated, into: &json)
            } else {
                json.raw(
                    ",\"value\":null,\"raw\":null,\"status\":\"BadWaitingForInitialData\",\"status_code\":2150760448,"
                        + "\"quality\":\"bad\",\"fault\":\"none\",\"reason\":null,\"timestamp\":null,\"age_ms\":null}")
            }
        }
        json.raw("]}")
        return json.bytes
    }

    /// `,"value":…,"raw":…,…,"age_ms":N}`: the part of a tag that changes.
    static func encode(_ s: Sample, generated: Int64, into json: inout JSONBytes) {
        json.raw(",\"value\":")
        json.value(s.value)
        json.raw(",\"raw\":")
        json.value(s.raw)
        json.raw(",\"status\":")
        json.string(s.status.name)
        json.raw(",\"status_code\":")
        json.integer(s.status.rawValue)
        json.raw(",\"quality\":\"")
        json.raw(s.status.quality.rawValue)
        json.raw("\",\"fault\":\"")
        json.raw(s.fault.rawValue)
        json.raw("\",\"reason\":")
        json.string(s.reason)
        json.raw(",\"timestamp\":")
        json.time(micros: s.timestamp)
        json.raw(",\"age_ms\":")
        json.integer(max(0, (generated - s.timestamp) / 1000))
        json.raw("}")
    }
}
