import Foundation
import KilnCore
import Testing

@testable import KilnServer

/// The hand-written JSON: what Foundation's own parser reads back.
struct JSONBytesTests {
    private func parsed(_ json: JSONBytes) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(json.bytes), options: [.fragmentsAllowed])
    }

    @Test(arguments: [
        "plain", "", "quote \" and backslash \\", "line\nbreak\r\ttab", "\u{0}\u{1}\u{1F}\u{7F}", "°C ünïcode 🔥",
        "</script><b>x</b>", "\u{2028}\u{2029}",
    ])
    func stringsRoundTrip(_ text: String) throws {
        var json = JSONBytes()
        json.string(text)
        #expect(try parsed(json) as? String == text)
        #expect(!json.bytes.contains(0x0A) && !json.bytes.contains(0))
    }

    @Test func numbersAreJSONAndNonFiniteIsNull() throws {
        for (value, text) in [(123.4, "123.4"), (80.0, "80"), (-0.5, "-0.5"), (1e-5, "1e-05"), (1e300, "1e+300")] {
            var json = JSONBytes()
            json.number(value)
            #expect(String(decoding: json.bytes, as: UTF8.self) == text)
            #expect(try parsed(json) as? Double == value)
        }
        for value in [Double.nan, .infinity, -.infinity] {
            var json = JSONBytes()
            json.number(value)
            #expect(String(decoding: json.bytes, as: UTF8.self) == "null")
        }
    }

    @Test func timesAreRFC3339WithMilliseconds() {
        #expect(JSONBytes.timeText(micros: 0) == "1970-01-01T00:00:00.000Z")
        #expect(JSONBytes.timeText(micros: 1_796_588_101_123_456) == "2026-12-06T20:15:01.123Z")
        #expect(JSONBytes.timeText(micros: -1) == "1969-12-31T23:59:59.999Z")
        #expect(JSONBytes.timeText(micros: 253_402_300_799_999_999) == "9999-12-31T23:59:59.999Z")
    }

    @Test func valuesKeepTheirKind() throws {
        var json = JSONBytes()
        json.raw("[")
        json.value(.bool(true))
        json.raw(",")
        json.value(.int(-9_007_199_254_740_993))
        json.raw(",")
        json.value(.uint(.max))
        json.raw(",")
        json.value(.string("on"))
        json.raw(",")
        json.value(nil)
        json.raw("]")
        #expect(
            String(decoding: json.bytes, as: UTF8.self) == #"[true,-9007199254740993,18446744073709551615,"on",null]"#)
    }
}

/// Percent-decoding of path segments: strict, never a trap.
struct PercentDecodingTests {
    @Test func decodesOneSegment() {
        #expect(PercentDecoding.decode("boiler-1%2Fflue_gas_temp%2Fhigh") == "boiler-1/flue_gas_temp/high")
        #expect(PercentDecoding.decode("a+b%20c") == "a+b c")
        #expect(PercentDecoding.decode("%C2%B0C") == "°C")
    }

    @Test(arguments: ["%", "%2", "%zz", "abc%", "%C3%28", "%FF", "%e2%82"])
    func refusesBadEncoding(_ text: String) {
        #expect(PercentDecoding.decode(Substring(text)) == nil)
    }
}

/// Tokens: the configured ones pass and name the caller by their digest; nothing else does.
struct BearerTokensTests {
    @Test func onlyConfiguredTokensPass() {
        let tokens = BearerTokens(["0123456789abcdef-first", "0123456789abcdef-second"])
        let caller = tokens.caller(offering: "0123456789abcdef-second")
        #expect(caller?.hasPrefix("http:") == true && caller?.count == 17)
        #expect(tokens.caller(offering: "0123456789abcdef-first") != caller)
        #expect(tokens.caller(offering: "0123456789abcdef-secon") == nil)
        #expect(tokens.caller(offering: "") == nil)
        #expect(BearerTokens([]).caller(offering: "0123456789abcdef-first") == nil)
    }

    @Test func bearerHeaders() {
        #expect(BearerTokens.bearer("Bearer abc") == "abc")
        #expect(BearerTokens.bearer("bearer   abc  ") == "abc")
        #expect(BearerTokens.bearer("Basic abc") == nil)
        #expect(BearerTokens.bearer("Bearer ") == nil)
        #expect(BearerTokens.bearer("Bearer") == nil)
        #expect(BearerTokens.bearer("") == nil)
    }
}
