import Foundation
import KilnCore

/// One alarm transition as the hooks deliver it: Kiln's own JSON event (the body of a webhook,
/// the stdin of an exec hook), from which the Alertmanager and PagerDuty payloads are made.
///
/// The event is written to every admitting hook's outbox in the same SQLite transaction as the
/// state change it reports; `id` is stable across redeliveries (it is the `webhook-id`), so a
/// receiver drops duplicates by it.
public struct AlarmEvent: Sendable, Hashable, Codable {
    /// Unique per event and stable across redeliveries: `evt_` + episode + `_` + sequence.
    public var id: String
    public var transition: AlarmTransition
    /// The activation this event belongs to; stable from activation to return to normal.
    public var episode: String
    /// The alarm's path: `device/tag/name` (`boiler-1/supply_temp/high`, `boiler-1/supply_temp/sensor`),
    /// `device/comm` for a device's comm alarm, `kiln/NAME` for the gateway's own.
    public var alarm: String
    /// `high`, `sensor`, `comm`, …
    public var name: String
    public var kind: AlarmKind
    public var device: String?
    public var tag: String?
    public var severity: AlarmSeverity
    /// The ISA-18.2 state after the transition.
    public var state: AlarmState
    /// The conditioned value that decided the transition (nil for a withheld one).
    public var value: Double?
    /// The limit crossed (nil for sensor and comm alarms).
    public var limit: Double?
    /// The OPC UA status name of that sample (`Good`, `BadSensorFailure`, …).
    public var status: String?
    /// For people: `boiler-1/supply_temp above 85 degC: 86.2`.
    public var message: String
    /// When the transition happened, µs since the Unix epoch, UTC.
    public var time: Int64
    /// The poll timestamp of the sample that completed the condition, µs (nil for an operator's act).
    public var sampleTime: Int64?
    /// When the episode activated, µs.
    public var activeSince: Int64?
    /// The alarm activated `chatterCount` times within the chatter window (ISA-18.2 chattering).
    public var chattering: Bool
    /// The gateway is in an alarm flood.
    public var flood: Bool
    /// An operator's note (ack) or reason (shelve).
    public var note: String?
    /// Who did it (`cli:root`, `api:TOKEN-NAME`), for operators' acts.
    public var by: String?
    /// A timed shelve's end, µs.
    public var shelvedUntil: Int64?

    public init(
        id: String, transition: AlarmTransition, episode: String, alarm: String, name: String, kind: AlarmKind,
        device: String?, tag: String?, severity: AlarmSeverity, state: AlarmState, value: Double? = nil,
        limit: Double? = nil, status: String? = nil, message: String, time: Int64, sampleTime: Int64? = nil,
        activeSince: Int64? = nil, chattering: Bool = false, flood: Bool = false, note: String? = nil,
        by: String? = nil, shelvedUntil: Int64? = nil
    ) {
        self.id = id
        self.transition = transition
        self.episode = episode
        self.alarm = alarm
        self.name = name
        self.kind = kind
        self.device = device
        self.tag = tag
        self.severity = severity
        self.state = state
        self.value = value
        self.limit = limit
        self.status = status
        self.message = message
        self.time = time
        self.sampleTime = sampleTime
        self.activeSince = activeSince
        self.chattering = chattering
        self.flood = flood
        self.note = note
        self.by = by
        self.shelvedUntil = shelvedUntil
    }

    enum CodingKeys: String, CodingKey {
        case id, transition, episode, alarm, name, kind, device, tag, severity, state, value, limit, status, message
        case time, sampleTime = "sample_time", activeSince = "active_since", chattering, flood, note, by
        case shelvedUntil = "shelved_until"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(transition.rawValue, forKey: .transition)
        try c.encode(episode, forKey: .episode)
        try c.encode(alarm, forKey: .alarm)
        try c.encode(name, forKey: .name)
        try c.encode(kind.rawValue, forKey: .kind)
        try c.encode(device, forKey: .device)
        try c.encode(tag, forKey: .tag)
        try c.encode(severity.rawValue, forKey: .severity)
        try c.encode(state.rawValue, forKey: .state)
        // JSON has no NaN or infinity: a non-finite number is sent as null.
        try c.encode(value.flatMap { $0.isFinite ? $0 : nil }, forKey: .value)
        try c.encode(limit.flatMap { $0.isFinite ? $0 : nil }, forKey: .limit)
        try c.encode(status, forKey: .status)
        try c.encode(message, forKey: .message)
        try c.encode(Timestamp.rfc3339(micros: time), forKey: .time)
        try c.encode(sampleTime.map { Timestamp.rfc3339(micros: $0) }, forKey: .sampleTime)
        try c.encode(activeSince.map { Timestamp.rfc3339(micros: $0) }, forKey: .activeSince)
        try c.encode(chattering, forKey: .chattering)
        try c.encode(flood, forKey: .flood)
        try c.encodeIfPresent(note, forKey: .note)
        try c.encodeIfPresent(by, forKey: .by)
        try c.encodeIfPresent(shelvedUntil.map { Timestamp.rfc3339(micros: $0) }, forKey: .shelvedUntil)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func enumValue<E: RawRepresentable<String>>(_ key: CodingKeys) throws -> E {
            let text = try c.decode(String.self, forKey: key)
            guard let v = E(rawValue: text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "unknown value \(text)")
            }
            return v
        }
        func time(_ key: CodingKeys) throws -> Int64? {
            guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
            let micros = Array(text.utf8).withUnsafeBufferPointer { Timestamp.micros(rfc3339: $0) }
            guard let micros else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not RFC 3339: \(text)")
            }
            return micros
        }
        id = try c.decode(String.self, forKey: .id)
        transition = try enumValue(.transition)
        episode = try c.decode(String.self, forKey: .episode)
        alarm = try c.decode(String.self, forKey: .alarm)
        name = try c.decode(String.self, forKey: .name)
        kind = try enumValue(.kind)
        device = try c.decodeIfPresent(String.self, forKey: .device)
        tag = try c.decodeIfPresent(String.self, forKey: .tag)
        severity = try enumValue(.severity)
        state = try enumValue(.state)
        value = try c.decodeIfPresent(Double.self, forKey: .value)
        limit = try c.decodeIfPresent(Double.self, forKey: .limit)
        status = try c.decodeIfPresent(String.self, forKey: .status)
        message = try c.decode(String.self, forKey: .message)
        guard let t = try time(.time) else {
            throw DecodingError.keyNotFound(CodingKeys.time, .init(codingPath: [], debugDescription: "no time"))
        }
        self.time = t
        sampleTime = try time(.sampleTime)
        activeSince = try time(.activeSince)
        chattering = try c.decodeIfPresent(Bool.self, forKey: .chattering) ?? false
        flood = try c.decodeIfPresent(Bool.self, forKey: .flood) ?? false
        note = try c.decodeIfPresent(String.self, forKey: .note)
        by = try c.decodeIfPresent(String.self, forKey: .by)
        shelvedUntil = try time(.shelvedUntil)
    }

    /// The event as JSON bytes (keys sorted, so the same event always gives the same bytes).
    public func json() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every field encodes as a string, number, bool or null: encoding cannot fail.
        return (try? Array(encoder.encode(self))) ?? Array("{}".utf8)
    }

    /// An event from its JSON bytes; nil when they are not one.
    public init?(json: [UInt8]) {
        guard let event = try? JSONDecoder().decode(AlarmEvent.self, from: Data(json)) else { return nil }
        self = event
    }
}

/// What raised an alarm.
public enum AlarmKind: String, Sendable, Hashable, CaseIterable {
    /// A limit of the tag's `alarms:` on its conditioned value.
    case process
    /// The built-in alarm of a conditioned tag: its sensor reads Bad.
    case sensor
    /// The built-in alarm of a device: it stopped answering.
    case comm
    /// The gateway's own (a hook disabled by 410 Gone, the remediation breaker, a refused host key).
    case system
}

/// ISA-18.2 / IEC 62682 alarm states.
public enum AlarmState: String, Sendable, Hashable, CaseIterable {
    case normal
    case activeUnacknowledged = "active_unacknowledged"
    case activeAcknowledged = "active_acknowledged"
    case returnedUnacknowledged = "returned_unacknowledged"
    case shelved
    case suppressed
    case outOfService = "out_of_service"
}
