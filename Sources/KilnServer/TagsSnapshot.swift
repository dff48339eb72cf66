import CZlib
import KilnCore
import KilnGateway
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The `/api/v1/tags` document, built at most every `maxAge` from one pass over the live state
/// by one thread of its own, and shared by every request until the next: a request only hands
/// out the latest buffer (at 10,000 tags, encoding per request would cost the gateway its CPU; an
/// earlier attempt served 17 requests a second). The thread builds only the encodings asked for
/// in the last `demandWindow` (the plain document, its gzip, or both) and ends when nobody has
/// asked for that long; the next request starts it again. `age_ms` of each tag is relative to the
/// document's `generated_at`.
///
/// Each tag's fixed part (`{"device":…,"tag":…,"unit":…,"poll_ms":…`) is encoded once, at start.
final class TagsSnapshot: Sendable {
    let live: LiveState
    let maxAge: Duration
    /// How long after the last request for an encoding the thread keeps it current.
    let demandWindow: Duration
    /// The builder thread's nice value: the HTTP server's (`RealtimeConfig.serviceNice`), whichever
    /// thread (an event loop or a Swift task) first asked.
    let threadNice: Int32?
    private let prefixes: [[UInt8]]
    private let clock = ContinuousClock()

    private struct State {
        /// Each encoding kept, with the time its pass over the live state started.
        var plain: (buffer: ByteBuffer, built: ContinuousClock.Instant)?
        var gzipped: (buffer: ByteBuffer, built: ContinuousClock.Instant)?
        /// When a request last asked for each encoding.
        var plainAsked: ContinuousClock.Instant?
        var gzipAsked: ContinuousClock.Instant?
        var builderRunning = false
        var size = 4096
    }
    private let state = Mutex(State())

    init(
        config: GatewayConfig, live: LiveState, maxAge: Duration = .milliseconds(100),
        demandWindow: Duration = .seconds(2)
    ) {
        self.live = live
        self.maxAge = maxAge
        self.demandWindow = demandWindow
        self.threadNice = config.realtime.serviceNice
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

    /// The current document (gzipped when asked): the shared one, at most `maxAge` old while
    /// the builder keeps up. A request waits for an encoding only when none was kept (the first
    /// for that encoding) or the kept one is `demandWindow` old (a starved builder).
    func document(gzip: Bool = false) -> ByteBuffer {
        if let kept = kept(gzip: gzip) { return kept }
        var scratch = Scratch()
        let built = store(plain: !gzip, gzip: gzip, started: clock.now, scratch: &scratch)
        return (gzip ? built.gzipped : built.plain) ?? ByteBuffer()
    }

    /// The kept document, if there is one fresh enough (see ``document(gzip:)``); never builds,
    /// so an event loop may ask. Counts as a request for that encoding.
    func kept(gzip: Bool) -> ByteBuffer? {
        let now = clock.now
        let (kept, startBuilder) = state.withLock { s -> (ByteBuffer?, Bool) in
            if gzip { s.gzipAsked = now } else { s.plainAsked = now }
            let start = !s.builderRunning
            s.builderRunning = true
            let kept = gzip ? s.gzipped : s.plain
            return (kept.flatMap { now - $0.built < demandWindow ? $0.buffer : nil }, start)
        }
        if startBuilder {
            var handle = pthread_t()
            let rc = OSThread.spawn(name: "kiln-http-tags", detached: true, handle: &handle) { self.keepCurrent() }
            if rc != 0 { state.withLock { $0.builderRunning = false } }
        }
        return kept
    }

    /// The builder thread: a new document every `maxAge` while requests ask for one, and never
    /// more than a tenth of one CPU (a build that takes 20 ms is followed by 180 ms of rest), so
    /// that on a small machine the document ages a little rather than taking the poller's CPU.
    /// Its buffers are kept from one build to the next.
    private func keepCurrent() {
        if let threadNice { OSThread.setCurrentNice(threadNice) }
        var scratch = Scratch()
        while true {
            let started = clock.now
            let wanted = state.withLock { s -> (plain: Bool, gzip: Bool)? in
                let plain = s.plainAsked.map { started - $0 < demandWindow } ?? false
                let gzip = s.gzipAsked.map { started - $0 < demandWindow } ?? false
                guard plain || gzip else {
                    s.builderRunning = false
                    return nil
                }
                return (plain, gzip)
            }
            guard let wanted else { return }
            store(plain: wanted.plain, gzip: wanted.gzip, started: started, scratch: &scratch)
            let took = clock.now - started
            // Never so long that the kept document reaches `demandWindow` and requests build
            // their own.
            let rest = min(max(maxAge - took, took * 9), demandWindow / 2)
            if rest > .zero { Self.sleep(rest) }
        }
    }

    private static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var rest = timespec()
        while nanosleep(&ts, &rest) != 0 && errno == EINTR { ts = rest }
    }

    /// The buffers a build writes into: the document, and its gzip before it is copied out.
    private struct Scratch {
        var json = JSONBytes(capacity: 0)
        var samples: [Sample?] = []
        var zipped: [UInt8] = []
    }

    /// Builds the asked encodings of the document and keeps them unless newer ones are kept.
    @discardableResult
    private func store(
        plain wantPlain: Bool, gzip wantGzip: Bool, started: ContinuousClock.Instant, scratch: inout Scratch
    ) -> Built {
        let size = state.withLock { $0.size }
        scratch.json.bytes.removeAll(keepingCapacity: true)
        scratch.json.bytes.reserveCapacity(size + size / 8)
        build(into: &scratch.json, samples: &scratch.samples)
        let bytes = scratch.json.bytes
        let built = Built(
            plain: wantPlain ? ByteBuffer(bytes: bytes) : nil,
            gzipped: wantGzip ? TagsSnapshot.gzip(bytes, scratch: &scratch.zipped) : nil)
        state.withLock { s in
            s.size = bytes.count
            if let plain = built.plain, s.plain.map({ $0.built <= started }) ?? true { s.plain = (plain, started) }
            if let gzipped = built.gzipped, s.gzipped.map({ $0.built <= started }) ?? true {
                s.gzipped = (gzipped, started)
            }
        }
        return built
    }

    private struct Built {
        var plain: ByteBuffer?
        var gzipped: ByteBuffer?
    }

    /// zlib's level 2: on the 10,000-tag document, 66 KB in the time level 1 takes for 79 KB
    /// (levels 4 to 6 take three times as long).
    static let gzipLevel: Int32 = 2

    static func gzip(_ buffer: ByteBuffer) -> ByteBuffer {
        var scratch: [UInt8] = []
        return gzip(Array(buffer.readableBytesView), scratch: &scratch)
    }

    /// `input` gzipped, through `scratch` (grown to the worst case and kept), into a
    /// buffer of its own size.
    static func gzip(_ input: [UInt8], scratch: inout [UInt8]) -> ByteBuffer {
        let bound = kiln_gzip_bound(input.count)
        if scratch.count < bound { scratch = Array(repeating: 0, count: bound) }
        var room = bound
        let rc = input.withUnsafeBufferPointer { source in
            scratch.withUnsafeMutableBufferPointer { output in
                kiln_gzip(source.baseAddress, source.count, output.baseAddress, &room, gzipLevel)
            }
        }
        guard rc == 0 else { return ByteBuffer() }
        return scratch.withUnsafeBufferPointer { ByteBuffer(bytes: UnsafeBufferPointer(rebasing: $0[..<room])) }
    }

    /// Encodes every tag, in config order, from one pass over the live state.
    func build(capacity: Int) -> [UInt8] {
        var json = JSONBytes(capacity: capacity)
        var samples: [Sample?] = []
        build(into: &json, samples: &samples)
        return json.bytes
    }

    /// Appends the document to `json`; `samples` is room for the pass over the live state.
    func build(into json: inout JSONBytes, samples: inout [Sample?]) {
        let generated = WallClock.epochMicroseconds()
        let index = live.index
        samples.removeAll(keepingCapacity: true)
        samples.append(contentsOf: repeatElement(nil, count: index.count))
        live.forEach { s in
            if let slot = index.slot(of: s) { samples[slot] = s }
        }
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
