import CZlib
import Foundation
import KilnCore
import KilnGateway
import Logging
import NIOCore
import Synchronization
import Testing

@testable import KilnServer

#if canImport(Glibc)
    import Glibc
#endif

/// The documents the server shares between requests: the tags snapshot, kept current by its
/// own thread, and the metrics exposition; and the logger that defers Hummingbird's metadata.
struct SharedDocumentsTests {
    static let config = GatewayConfig(
        path: "test",
        devices: [
            DeviceConfig(
                name: "oven-1", host: "127.0.0.1", port: 1,
                tags: [
                    TagConfig(name: "temp", register: .holding, address: 0, type: .float32, poll: .milliseconds(100))
                ])
        ])

    static func sample(_ value: Double, at time: Int64) -> Sample {
        Sample(device: 0, tag: 0, value: .double(value), raw: .double(value), status: .good, timestamp: time)
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    /// zlib's inflate in this process (a `gzip -d` per check blocked a test thread for long
    /// stretches on a loaded CI machine).
    static func gunzip(_ buffer: ByteBuffer) throws -> ByteBuffer {
        var input = Array(buffer.readableBytesView)
        var output = [UInt8](repeating: 0, count: 1024 * 1024)
        var stream = z_stream()
        try #require(inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { inflateEnd(&stream) }
        let rc = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        try #require(rc == Z_STREAM_END, "not one whole gzip stream (zlib \(rc))")
        return ByteBuffer(bytes: output.prefix(Int(stream.total_out)))
    }

    static func value(_ document: [String: Any]) -> Double? {
        ((document["tags"] as? [[String: Any]])?.first)?["value"] as? Double
    }

    @Test func theBuilderKeepsEachAskedEncodingCurrentAndTheGzipIsTheSameDocument() async throws {
        let live = LiveState(index: TagIndex(Self.config))
        let snapshot = TagsSnapshot(
            config: Self.config, live: live, maxAge: .milliseconds(20), demandWindow: .milliseconds(500))
        // Before any value: waiting for its first, never Good.
        let first = try Self.json(snapshot.document())
        let waiting = try #require((first["tags"] as? [[String: Any]])?.first)
        #expect(waiting["status"] as? String == "BadWaitingForInitialData" && waiting["value"] is NSNull)

        #expect(live.consume([Self.sample(81.5, at: WallClock.epochMicroseconds())]))
        // The builder thread picks the new value up; requests meanwhile get the kept document.
        var plain: [String: Any] = [:]
        var gzipped: [String: Any] = [:]
        for _ in 0..<1_000 {
            plain = try Self.json(snapshot.document())
            gzipped = try Self.json(try Self.gunzip(snapshot.document(gzip: true)))
            if Self.value(plain) == 81.5 && Self.value(gzipped) == 81.5 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(Self.value(plain) == 81.5, "\(plain)")
        #expect(Self.value(gzipped) == 81.5, "\(gzipped)")
        let tag = try #require((gzipped["tags"] as? [[String: Any]])?.first)
        #expect(tag["device"] as? String == "oven-1" && tag["status"] as? String == "Good" && tag["age_ms"] is Int)

        // A later value reaches both encodings again, without anyone waiting for a build.
        #expect(live.consume([Self.sample(82.25, at: WallClock.epochMicroseconds())]))
        var both = false
        for _ in 0..<1_000 {
            let p = Self.value(try Self.json(snapshot.document()))
            let g = Self.value(try Self.json(try Self.gunzip(snapshot.document(gzip: true))))
            if p == 82.25 && g == 82.25 {
                both = true
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(both, "the builder did not bring both encodings up to date")
    }

    /// A rendering that counts itself in `renders` and writes `kiln_up N` for its number N.
    static func countingRender(_ renders: Box<Int>) -> @Sendable (inout [UInt8]) -> Void {
        { bytes in
            let n = renders.update { (count: inout Int) -> Int in
                count += 1
                return count
            }
            bytes += Array("kiln_up \(n)\n".utf8)
        }
    }

    @Test func theExpositionIsRenderedOncePerMaxAge() async throws {
        let renders = Box(0)
        let render = Self.countingRender(renders)
        // Within maxAge every request shares one rendering.
        let shared = ExpositionCache(maxAge: .seconds(60))
        let first = shared.text(render)
        for _ in 0..<50 { #expect(shared.text(render) == first) }
        #expect(renders.update { $0 } == 1)
        // Past it, the next request renders again.
        let expired = ExpositionCache(maxAge: .zero)
        #expect(String(buffer: expired.text(render)) == "kiln_up 2\n")
        // (A rendering serves ten times its own length, here microseconds.)
        try await Task.sleep(for: .milliseconds(5))
        #expect(String(buffer: expired.text(render)) == "kiln_up 3\n")
    }

    /// One request renders at a time; the others take the last rendering meanwhile. A slow
    /// rendering serves for ten times its own length, whatever `maxAge` says.
    @Test func theExpositionIsRenderedByOneRequestAtATimeAndAtMostATenthOfTheTime() async throws {
        let cache = ExpositionCache(maxAge: .zero)
        let renders = Box(0)
        let count = Self.countingRender(renders)
        #expect(String(buffer: cache.text(count)) == "kiln_up 1\n")
        try await Task.sleep(for: .milliseconds(5))

        // A rendering held open on another thread: a request meanwhile gets the kept one.
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let slow = Task.detached {
            String(
                buffer: cache.text { bytes in
                    inside.signal()
                    release.wait()
                    count(&bytes)
                })
        }
        inside.wait()
        #expect(String(buffer: cache.text(count)) == "kiln_up 1\n")
        #expect(renders.update { $0 } == 1)
        release.signal()
        #expect(await slow.value == "kiln_up 2\n")

        // A rendering of 100 ms serves for the next second at least.
        let lengthy = ExpositionCache(maxAge: .zero)
        let first = lengthy.text { bytes in
            Thread.sleep(forTimeInterval: 0.1)
            count(&bytes)
        }
        #expect(lengthy.text(count) == first)
        #expect(renders.update { $0 } == 3)
    }

    @Test func requestMetadataReachesTheLogOnlyWhenSomethingIsLogged() {
        let lines = Box<[String]>([])
        let base = Logger(label: "kiln") { _ in RecordingLogHandler(lines: lines) }
        var logger = DeferredMetadataLogHandler.wrap(base)
        logger.logLevel = .info
        logger[metadataKey: "hb.request.id"] = "42"
        #expect(lines.update { $0 }.isEmpty)
        logger.debug("below the level")
        logger.info("served", metadata: ["kiln.path": "/api/v1/tags"])
        #expect(lines.update { $0 } == ["served hb.request.id=42 kiln.path=/api/v1/tags"])
        // An explicit value wins over the kept one.
        logger.info("again", metadata: ["hb.request.id": "43"])
        #expect(lines.update { $0 }.last == "again hb.request.id=43")
    }

    @Test func aThreadsNiceValueIsItsOwn() throws {
        let before = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let seen = Box<(Bool, Int32)?>(nil)
        var handle = pthread_t()
        let rc = OSThread.spawn(name: "kiln-nice-test", handle: &handle) {
            // Raising one's nice value needs no privilege.
            let set = OSThread.setCurrentNice(before + 3)
            seen.update { $0 = (set, getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)) }
        }
        try #require(rc == 0)
        pthread_join(handle, nil)
        let (set, inside) = try #require(seen.update { $0 })
        #expect(set && inside == before + 3)
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == before, "the spawning thread kept its own")
    }
}

/// Records each log line as `message key=value…` (keys sorted).
/// A value shared with closures and threads.
final class Box<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func update<R: Sendable>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}

private struct RecordingLogHandler: LogHandler {
    let lines: Box<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, explicit in explicit }
        let pairs = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }
        lines.update { $0.append(([event.message.description] + pairs).joined(separator: " ")) }
    }
}
