import Foundation
import KilnAlarms
import KilnConfig
import KilnCore
import KilnTestSupport
import Testing

/// A remediation rule's `when: { alarm: }` is checked by the config loader against the alarms
/// `AlarmCatalog` will create. The loader mirrors the catalog's rule for which tags have a
/// `sensor` alarm; this test holds the two together on tags of every conditioning kind.
struct RemediationAlarmNamesTests {
    static let map = """
        devices:
          - name: d
            host: 127.0.0.1
            tags:
              - { name: plain, register: holding, address: 0, type: uint16 }
              - { name: ranged, register: holding, address: 1, type: uint16, range: [0, 100] }
              - { name: sentinel, register: holding, address: 2, type: uint16, sentinels: [65535] }
              - name: lagged
                register: holding
                address: 3
                type: float32
                thermal: { tau: 30s, max_rate: 1, noise: 0.1 }
                stuck: 5m
              - { name: flag, register: coil, address: 0, alarms: [{ name: on, above: 0 }] }
              - { name: word, register: holding, address: 10, type: string, length: 2 }
              - name: limited
                register: holding
                address: 5
                type: int16
                alarms: [{ name: high, above: 80 }, { name: low, below: 5 }]

        """

    @Test func theLoaderAcceptsExactlyTheCatalogsAlarms() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        _ = try dir.write("plant.yaml", Self.map)
        let base = "devices: [plant.yaml]\nhistorian: { path: h.sqlite }\n"
        let plain = try ConfigLoader.load(yaml: base, path: dir.file("kiln.yaml"))
        let catalog = Set(AlarmCatalog(config: plain).records.map(\.path))
        // Every path a rule could name: each device's comm, each tag's sensor and its alarms.
        var candidates = ["d/comm"]
        for tag in plain.devices[0].tags {
            candidates.append("d/\(tag.name)/sensor")
            candidates += tag.alarms.map { "d/\(tag.name)/\($0.name)" }
        }
        #expect(catalog.isSubset(of: Set(candidates)))
        for path in candidates {
            let yaml =
                base + """
                    remediation:
                      hosts: [{ name: h, address: 127.0.0.1, user: u, identity_file: /k, known_hosts: /kh }]
                      rules: [{ name: r, when: { alarm: \(path), persists: 1s }, host: h, command: [x] }]

                    """
            let accepted: Bool
            do {
                accepted = try ConfigLoader.load(yaml: yaml, path: dir.file("kiln.yaml")).remediation != nil
            } catch {
                #expect(error.diagnostics.allSatisfy { $0.message.contains("has no sensor alarm") }, "\(error)")
                accepted = false
            }
            #expect(accepted == catalog.contains(path), "\(path)")
        }
        // Both kinds occur, so the comparison means something.
        #expect(candidates.contains { !catalog.contains($0) })
        #expect(catalog.contains("d/ranged/sensor") && catalog.contains("d/limited/sensor"))
    }
}
