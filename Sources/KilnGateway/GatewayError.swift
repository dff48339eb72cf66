/// Why the gateway could not start or stop as asked.
public struct GatewayError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) { self.description = description }
}
