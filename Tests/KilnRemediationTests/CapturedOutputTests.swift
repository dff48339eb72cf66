import KilnProcess
import KilnRemediation
import Testing

/// Head and tail capture, whatever the chunking.
@Suite struct CapturedOutputTests {
    @Test(arguments: [1, 7, 4096, 5000, 100_000])
    func headAndTailAreTheEndsOfTheStream(chunk: Int) {
        let stream = (0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 251) }
        var c = CapturedOutput()
        var i = 0
        while i < stream.count {
            c.append(stream[i..<min(stream.count, i + chunk)])
            i += chunk
        }
        c.finish()
        #expect(c.total == 20_000)
        #expect(c.head == Array(stream.prefix(4096)))
        #expect(c.tail == Array(stream.suffix(4096)))
        #expect(c.isTruncated)
    }

    @Test func aShortStreamHasNoTailAndAMediumOneNoOverlap() {
        var short = CapturedOutput()
        short.append(Array("hello".utf8))
        short.finish()
        #expect(short.head == Array("hello".utf8))
        #expect(short.tail.isEmpty)
        #expect(!short.isTruncated)

        let stream = [UInt8](repeating: 1, count: 4096) + [UInt8](repeating: 2, count: 904)
        var medium = CapturedOutput()
        medium.append(stream)
        medium.finish()
        #expect(medium.head.count == 4096)
        #expect(medium.tail == [UInt8](repeating: 2, count: 904))
        #expect(!medium.isTruncated)
        #expect(medium.text.count == 5000)
    }

    @Test func aRunKeepsBothEndsOfALocalProgramsOutput() {
        let r = ProcessRun.run(
            command: ["/bin/sh", "-c", "printf A; head -c 9000 /dev/zero | tr '\\000' z; printf B; printf E >&2"],
            environment: ["PATH=/usr/bin:/bin"], timeout: .seconds(30))
        #expect(r.status == 0)
        #expect(r.stdout.total == 9002)
        #expect(r.stdout.head.first == UInt8(ascii: "A"))
        #expect(r.stdout.tail.last == UInt8(ascii: "B"))
        #expect(r.stdout.tail.count == 4096)
        #expect(r.stderr.head == [UInt8(ascii: "E")])
    }
}
