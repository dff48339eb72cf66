/// Every fuzz target, by name.
public enum FuzzTargets {
    /// One line a target: its corpus lives in Tests/KilnFuzzingTests/Corpus/<name>.
    public static let all: [any FuzzTarget.Type] = [
        FuzzDurationText.self,
        FuzzConfig.self,
        FuzzModbusReply.self,
        FuzzTrace.self,
        FuzzBlockCodec.self,
    ]

    public static func named(_ name: String) -> (any FuzzTarget.Type)? {
        all.first { $0.name == name }
    }

    /// A broken invariant: traps, so that libFuzzer saves the input that broke it.
    public static func violation(_ message: String, file: StaticString = #file, line: UInt = #line) -> Never {
        fatalError("fuzz invariant broken: \(message)", file: file, line: line)
    }
}
