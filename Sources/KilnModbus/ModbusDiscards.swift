/// What a connection threw away: frames that answered no request, and the bytes they took.
///
/// Counted per device for the life of its session (across reconnects), and shown in the
/// `kiln run` summary: a device that sends frames nobody asked for is misconfigured, confused
/// or hostile, and an engineer should hear of it.
public struct ModbusDiscards: Sendable, Hashable {
    /// Complete frames that arrived with no request in flight: before a request was sent, or
    /// on an idle connection.
    public var unasked = 0
    /// Complete frames that arrived while a request was in flight but did not answer it (another
    /// transaction id, unit, function or byte count).
    public var mismatched = 0
    /// Every byte discarded: those of the frames above, and bytes that were no frame at all.
    public var bytes = 0

    public init(unasked: Int = 0, mismatched: Int = 0, bytes: Int = 0) {
        self.unasked = unasked
        self.mismatched = mismatched
        self.bytes = bytes
    }

    /// Frames discarded, of both kinds.
    public var frames: Int { unasked + mismatched }

    public static func + (a: ModbusDiscards, b: ModbusDiscards) -> ModbusDiscards {
        ModbusDiscards(
            unasked: a.unasked + b.unasked, mismatched: a.mismatched + b.mismatched, bytes: a.bytes + b.bytes)
    }
}
