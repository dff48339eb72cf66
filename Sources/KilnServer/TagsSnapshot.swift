import CZlib
import KilnCore
import KilnGateway
import NIOCore
import Synchronization

/// The `/api/v1/tags` document, built at most every `maxAge` from one pass over the live state
/// and shared by every request until then: at 10,000 tags, encoding per request would cost the
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
        var document: ByteBuffer?
        /// The document gzipped, made when a client that takes gzip first asks for it.
        var gzipped: ByteBuffer?
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

    /// The current document gzipped (a tenth of its size: a page polling every second, or a
    /// load test, would otherwise move megabytes a request at 10,000 tags). Compressed once per
    /// document, by the first request that takes gzip.
    func gzippedDocument() -> ByteBuffer {
        let plain = document()
        if let cached = state.withLock({ $0.document == plain ? $0.gzipped : nil }) { return cached }
        let gzipped = TagsSnapshot.gzip(plain)
        state.withLock { s in
            if s.document == plain { s.gzipped = gzipped }
        }
        return gzipped
    }

    static func gzip(_ buffer: ByteBuffer) -> ByteBuffer {
        buffer.withUnsafeReadableBytes { input in
            var room = kiln_gzip_bound(input.count)
            var out = ByteBuffer()
            out.reserveCapacity(room)
            let rc = out.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { output in
                let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
                let rc = kiln_gzip(base, input.count, output.baseAddress!.assumingMemoryBound(to: UInt8.self), &room, 1)
                return rc == 0 ? room : 0
            }
            return rc > 0 ? out : ByteBuffer()
        }
    }

    /// The current document: the shared one while it is younger than `maxAge` (or while another
    /// request rebuilds it), else a new one.
    func document() -> ByteBuffer {
        let now = clock.now
        enum Step {
            case serve(ByteBuffer)
            case build(size: Int)
        }
        let step: Step = state.withLock { s in
            if let document = s.document, let built = s.built, now - built < maxAge || s.building {
                return .serve(document)
            }
            s.building = true
            return .build(size: s.size)
        }
        switch step {
        case .serve(let document):
            return document
        case .build(let size):
            let bytes = build(capacity: size + size / 8)
            let document = ByteBuffer(bytes: bytes)
            state.withLock { s in
                s.document = document
                s.gzipped = nil
                s.built = now
                s.building = false
                s.size = bytes.count
            }
            return document
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
