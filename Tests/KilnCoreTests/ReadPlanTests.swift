import KilnCore
import Testing

struct ReadPlanTests {
    func device(_ tags: [TagConfig], maxRegisters: Int = 125, maxGap: Int = 8) -> DeviceConfig {
        DeviceConfig(name: "d", host: "127.0.0.1", maxRegisters: maxRegisters, maxGap: maxGap, tags: tags)
    }

    func tag(
        _ name: String, _ address: Int, _ type: DataType = .uint16, register: RegisterKind = .holding,
        poll: Duration = .seconds(1), length: Int? = nil
    ) -> TagConfig {
        TagConfig(name: name, register: register, address: address, type: type, length: length, poll: poll)
    }

    @Test func mergesThroughSmallGaps() {
        let d = device([tag("a", 0), tag("b", 5, .float32), tag("c", 15), tag("d", 30)], maxGap: 8)
        let plan = ReadPlanner.plan(d)
        #expect(plan.count == 1)
        #expect(
            plan[0].blocks == [
                ReadBlock(register: .holding, start: 0, count: 16, tags: [0, 1, 2]),
                ReadBlock(register: .holding, start: 30, count: 1, tags: [3]),
            ])
    }

    @Test func zeroGapMergesOnlyContiguous() {
        let d = device([tag("a", 0), tag("b", 1), tag("c", 3)], maxGap: 0)
        #expect(ReadPlanner.plan(d)[0].blocks.map(\.count) == [2, 1])
    }

    @Test func respectsMaxRegisters() {
        let tags = (0..<10).map { tag("t\($0)", $0 * 2, .float32) }
        let plan = ReadPlanner.plan(device(tags, maxRegisters: 6))
        #expect(plan[0].blocks.map(\.count) == [6, 6, 6, 2])
        #expect(plan[0].blocks.allSatisfy { $0.count <= 6 })
    }

    @Test func separatesKindsAndPollRates() {
        let d = device([
            tag("a", 0), tag("b", 1, register: .input), tag("c", 2, .bool, register: .coil),
            tag("d", 1, poll: .milliseconds(500)),
        ])
        let plan = ReadPlanner.plan(d)
        #expect(plan.map(\.period) == [.milliseconds(500), .seconds(1)])
        #expect(plan[0].blocks == [ReadBlock(register: .holding, start: 1, count: 1, tags: [3])])
        #expect(plan[1].blocks.map(\.register) == [.holding, .input, .coil])
    }

    @Test func bitsUseTheBitLimit() {
        let tags = [tag("a", 0, .bool, register: .coil), tag("b", 1999, .bool, register: .coil)]
        var d = device(tags, maxGap: 2000)
        d.maxBits = 2000
        #expect(ReadPlanner.plan(d)[0].blocks.map(\.count) == [2000])
    }

    @Test func splittingIsolatesOneTag() {
        let tags = (0..<5).map { tag("t\($0)", $0) }
        let d = device(tags)
        let block = ReadPlanner.plan(d)[0].blocks[0]
        // Keep splitting the half that holds tag 3 (the one the device refuses).
        var current = block
        var steps = 0
        while let parts = ReadPlanner.split(current, of: d) {
            current = parts.first { $0.tags.contains(3) }!
            steps += 1
        }
        #expect(current.tags == [3])
        #expect(current.start == 3 && current.count == 1)
        #expect(steps <= 3)
    }

    @Test func stringLengthCounts() {
        let d = device([tag("s", 10, .string, length: 8), tag("n", 18)])
        #expect(ReadPlanner.plan(d)[0].blocks == [ReadBlock(register: .holding, start: 10, count: 9, tags: [0, 1])])
    }
}
