import KilnConfig
import Testing

/// "Did you mean": edit distance and when a near miss is close enough to name.
struct SuggestionTests {
    @Test(arguments: [
        ("", "abc", 3), ("address", "address", 0), ("adress", "address", 1), ("adrses", "adress", 1),
        ("kitten", "sitting", 3), ("byteorder", "byte_order", 1),
    ])
    func editDistance(a: String, b: String, distance: Int) {
        #expect(Suggestion.editDistance(a, b) == distance)
        #expect(Suggestion.editDistance(b, a) == distance)
    }

    @Test func nearMissesNameTheKnownWord() {
        let keys = ["name", "register", "address", "type", "byte_order", "bit", "length", "scale", "poll"]
        #expect(Suggestion.nearest(to: "adress", in: keys) == "address")
        #expect(Suggestion.nearest(to: "Address", in: keys) == "address")
        #expect(Suggestion.nearest(to: "byteorder", in: keys) == "byte_order")
        #expect(Suggestion.nearest(to: "lenght", in: keys) == "length")
        #expect(Suggestion.nearest(to: "regs", in: keys) == nil)
        #expect(Suggestion.nearest(to: "colour", in: keys) == nil)
        #expect(Suggestion.nearest(to: "x", in: keys) == nil)
    }

    @Test func aWordCutShortNamesTheFirstLongerForm() {
        #expect(Suggestion.nearest(to: "float", in: ["int32", "float32", "float64"]) == "float32")
        #expect(Suggestion.nearest(to: "max_reg", in: ["max_gap", "max_registers"]) == "max_registers")
    }
}
