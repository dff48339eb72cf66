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

/// Durations too long for 64-bit nanoseconds, and texts that are not durations, never trap.
struct DurationTextBoundsTests {
    @Test func overflowIsTooLongNotATrap() {
        for text in [
            "10000000000s", "99999999999d", "9223372037s", "99999999999999999999999ms",
            "18446744073709551616ms", String(repeating: "9", count: 400) + "s", "106751.99117d",
        ] {
            #expect(DurationText.read(text) == .tooLong, "\(text)")
            #expect(DurationText.parse(text) == nil, "\(text)")
        }
    }

    @Test func theLongestDurationStillReads() {
        #expect(DurationText.read("9223372036s") == .duration(.seconds(9_223_372_036)))
        #expect(DurationText.read("106751d") == .duration(.seconds(106_751 * 86_400)))
    }

    @Test func fractionsAreExact() {
        #expect(DurationText.parse("0.1s") == .milliseconds(100))
        #expect(DurationText.parse("0.000001ms") == .nanoseconds(1))
        #expect(DurationText.parse("0.0000004ms") == .zero)
        #expect(DurationText.parse("0.0000005ms") == .nanoseconds(1))
        #expect(DurationText.parse("1." + String(repeating: "9", count: 300) + "s") == .seconds(2))
        #expect(DurationText.parse(".5s") == .milliseconds(500))
    }

    @Test func malformedTextsAreInvalid() {
        for text in ["1e400s", "-1s", "+1s", "1..5s", ".s", "1.2.3s", "１s", "½s", "1 s s", "0x10s", "inf s", "nans"] {
            #expect(DurationText.read(text) == .invalid, "\(text)")
        }
    }

    @Test func subMillisecondDurationsFormatSoTheyReadBack() {
        for d: Duration in [.nanoseconds(1), .nanoseconds(1_500_001), .microseconds(250)] {
            #expect(DurationText.parse(DurationText.format(d)) == d, "\(DurationText.format(d))")
        }
    }
}
