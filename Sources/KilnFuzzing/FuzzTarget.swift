/// One libFuzzer target: a piece of Kiln that parses bytes from outside.
///
/// `run` takes any bytes and must return normally: errors the code under test throws for bad
/// input are expected and swallowed, and an invariant the target checks fails with
/// ``FuzzTargets/violation(_:)``, which traps so that libFuzzer keeps the input as a crasher.
/// `kiln-fuzz` drives a target under libFuzzer (tools/fuzz.sh); KilnFuzzingTests replays every
/// committed corpus and crasher input through it in the normal test run.
public protocol FuzzTarget: Sendable {
    /// The target's name on the command line and its corpus folder's name.
    static var name: String { get }
    static func run(_ data: UnsafeRawBufferPointer)
}
