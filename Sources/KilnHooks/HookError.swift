/// A hook that cannot be set up or used: a missing secret, a bad URL, an unknown hook name.
public struct HookError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
