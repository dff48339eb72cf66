import KilnAlarms
import Testing

@Suite struct DoorbellTests {
    @Test func aRingBeforeTheWaitIsNotMissed() async {
        let bell = OutboxDoorbell()
        let seen = bell.generation
        bell.ring()
        // Returns at once although the ring came first; a lost ring would wait the full hour.
        await bell.wait(after: seen, timeout: .seconds(3600))
        #expect(bell.generation == seen + 1)
    }

    @Test func aRingWakesAWaiter() async {
        let bell = OutboxDoorbell()
        let seen = bell.generation
        async let waited: Void = bell.wait(after: seen, timeout: .seconds(3600))
        while bell.generation == seen {
            bell.ring()
            try? await Task.sleep(for: .milliseconds(1))
        }
        await waited
        #expect(bell.generation > seen)
    }

    @Test func theTimeoutEndsAWait() async {
        let bell = OutboxDoorbell()
        await bell.wait(after: bell.generation, timeout: .milliseconds(5))
        #expect(bell.generation == 0)
    }
}
