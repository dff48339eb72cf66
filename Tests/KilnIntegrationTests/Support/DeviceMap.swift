import Foundation
import KilnCore

/// A tag as a test writes it: turns into Kiln's `TagConfig` (library tests) or into device-map
/// YAML (command-line tests), so both read the same thing.
struct MapTag {
    var name: String
    var register: RegisterKind
    var address: Int
    var type: DataType
    /// As spelled in the map (`CDAB`, `GHEFCDAB`, …); nil for the device's default.
    var byteOrder: String?
    var bit: Int?
    var length: Int?
    var scale: Double?
    var offset: Double?
    var unit: String?
    /// As spelled in the map (`500ms`); nil for the device's poll.
    var poll: String?

    init(
        _ name: String, _ register: RegisterKind, _ address: Int, _ type: DataType, order: String? = nil,
        bit: Int? = nil, length: Int? = nil, scale: Double? = nil, offset: Double? = nil, unit: String? = nil,
        poll: String? = nil
    ) {
        self.name = name
        self.register = register
        self.address = address
        self.type = type
        self.byteOrder = order
        self.bit = bit
        self.length = length
        self.scale = scale
        self.offset = offset
        self.unit = unit
        self.poll = poll
    }
}

/// A device as a test writes it.
struct MapDevice {
    var name: String
    var host = Loopback.host
    var port: Int
    var unit = 1
    var timeout = "500ms"
    var poll = "1s"
    var maxGap: Int?
    var maxRegisters: Int?
    var tags: [MapTag]

    init(
        _ name: String, port: Int, unit: Int = 1, timeout: String = "500ms", poll: String = "1s",
        maxGap: Int? = nil, maxRegisters: Int? = nil, tags: [MapTag]
    ) {
        self.name = name
        self.port = port
        self.unit = unit
        self.timeout = timeout
        self.poll = poll
        self.maxGap = maxGap
        self.maxRegisters = maxRegisters
        self.tags = tags
    }

    /// Kiln's validated form, built directly (no YAML loader involved).
    var config: DeviceConfig {
        let devicePoll = DurationText.parse(poll)!
        var device = DeviceConfig(
            name: name, host: host, port: port, unit: unit, timeout: DurationText.parse(timeout)!, poll: devicePoll)
        if let maxGap { device.maxGap = maxGap }
        if let maxRegisters { device.maxRegisters = maxRegisters }
        device.tags = tags.map { tag in
            TagConfig(
                name: tag.name, register: tag.register, address: tag.address, type: tag.type,
                byteOrder: tag.byteOrder.map { ByteOrder(name: $0)! } ?? .abcd, bit: tag.bit, length: tag.length,
                scale: tag.scale ?? 1, offset: tag.offset ?? 0, unit: tag.unit,
                poll: tag.poll.map { DurationText.parse($0)! } ?? devicePoll)
        }
        return device
    }

    /// The device as a YAML list item under `devices:`.
    var yaml: String {
        var lines = [
            "  - name: \(name)", "    host: \(host)", "    port: \(port)", "    unit: \(unit)",
            "    timeout: \(timeout)", "    poll: \(poll)",
        ]
        if let maxGap { lines.append("    max_gap: \(maxGap)") }
        if let maxRegisters { lines.append("    max_registers: \(maxRegisters)") }
        lines.append("    tags:")
        for tag in tags {
            lines.append("      - name: \(tag.name)")
            lines.append("        register: \(tag.register.rawValue)")
            lines.append("        address: \(tag.address)")
            lines.append("        type: \(tag.type.rawValue)")
            if let order = tag.byteOrder { lines.append("        byte_order: \(order)") }
            if let bit = tag.bit { lines.append("        bit: \(bit)") }
            if let length = tag.length { lines.append("        length: \(length)") }
            if let scale = tag.scale { lines.append("        scale: \(scale)") }
            if let offset = tag.offset { lines.append("        offset: \(offset)") }
            if let unit = tag.unit { lines.append("        unit: \(unit)") }
            if let poll = tag.poll { lines.append("        poll: \(poll)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A device map file (or its in-memory gateway) for a test.
struct DeviceMap {
    var devices: [MapDevice]

    init(_ devices: [MapDevice]) { self.devices = devices }

    var yaml: String { "devices:\n" + devices.map(\.yaml).joined() }

    var gateway: GatewayConfig { GatewayConfig(path: "test.yaml", devices: devices.map(\.config)) }
}

/// A temporary directory, removed when the object goes away.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    deinit { remove() }

    /// Deletes the directory. Tests call it in a `defer`, which also keeps it to the end of the test.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `contents` to `name` inside the directory; returns the file's path.
    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        let file = path + "/" + name
        try contents.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Writes a device map as YAML; returns the file's path.
    func write(_ map: DeviceMap, as name: String = "devices.yaml") throws -> String {
        try write(name, map.yaml)
    }
}
