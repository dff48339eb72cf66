import Yams

/// What a file holds, told apart by content: a device map's `devices:` lists mappings, a
/// gateway config's lists file names.
enum ConfigFileKind {
    case deviceMap
    case gateway

    init(root: Node) {
        let devices = root.mapping?["devices"]
        if let entries = devices?.sequence, let first = entries.first(where: { !$0.isNull }) {
            self = first.mapping == nil ? .gateway : .deviceMap
        } else if let devices, devices.scalar != nil, !devices.isNull {
            self = .gateway
        } else {
            let keys = root.mapping?.keys.compactMap(\.scalar?.string) ?? []
            let gatewayOnly = Set(MappingSchema.gateway.keys).subtracting(MappingSchema.deviceMap.keys)
            self = keys.contains(where: gatewayOnly.contains) ? .gateway : .deviceMap
        }
    }
}
