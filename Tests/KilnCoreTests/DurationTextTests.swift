import KilnCore
import Testing

struct DurationTextTests {
    @Test func parsesEveryUnit() {
        #expect(DurationText.parse("500ms") == .milliseconds(500))
        #expect(DurationText.parse("1s") == .seconds(1))
        #expect(DurationText.parse("1.5s") == .milliseconds(1500))
        #expect(DurationText.parse("2m") == .seconds(120))
        #expect(DurationText.parse("1h") == .seconds(3600))
    }

    @Test func rejectsNonsense() {
        for text in ["", "fast", "10", "10 parsecs", "-1s", "1w", "s"] {
            #expect(DurationText.parse(text) == nil, "\(text)")
        }
    }

    @Test func formatsRoundTrip() {
        for d: Duration in [.milliseconds(250), .seconds(1), .seconds(90), .seconds(7200)] {
            #expect(DurationText.parse(DurationText.format(d)) == d)
        }
    }

    @Test func timestampsAreRFC3339() {
        #expect(Timestamp.rfc3339(micros: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp.rfc3339(micros: 1_795_000_000_123_456) == "2026-11-18T11:06:40.123456Z")
    }

    @Test func statusQualities() {
        #expect(StatusCode.good.quality == .good)
        #expect(StatusCode.uncertainLastUsableValue.quality == .uncertain)
        #expect(StatusCode.badTimeout.quality == .bad)
        #expect(StatusCode.badTimeout.name == "BadTimeout")
        #expect(StatusCode(name: "BadConfigurationError") == .badConfigurationError)
    }
}
