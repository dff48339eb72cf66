import KilnCore
import Testing

/// The test clock: sleepers wake when, and only when, the clock is moved past their deadline.
struct ManualClockTests {
    @Test func aSleeperWakesOnlyWhenTheClockReachesItsDeadline() async throws {
        let clock = ManualClock()
        let start = clock.now
        let woke = Task { () -> EpochInstant in
            try await clock.sleep(until: start.advanced(by: .seconds(10)), tolerance: nil)
            return clock.now
        }
        #expect(await waitUntil { clock.sleeperCount == 1 })
        clock.advance(by: .seconds(9))
        #expect(clock.sleeperCount == 1, "9 s of 10: still asleep")
        clock.advance(by: .seconds(1))
        let at = try await woke.value
        #expect(at == start.advanced(by: .seconds(10)))
        #expect(clock.sleeperCount == 0)
    }

    @Test func aCancelledSleeperThrowsAtOnce() async {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(until: clock.now.advanced(by: .seconds(3600)), tolerance: nil) }
        #expect(await waitUntil { clock.sleeperCount == 1 })
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test func instantsAreEpochMicroseconds() {
        let instant = EpochInstant(microseconds: 1_718_000_000_000_000)
        #expect(instant.advanced(by: .milliseconds(1500)).microseconds == 1_718_000_001_500_000)
        #expect(instant.duration(to: instant.advanced(by: .seconds(2))) == .seconds(2))
        #expect(instant.description == "2024-06-10T06:13:20.000000Z")
        let wall = WallClock().now.microseconds
        #expect(wall > 1_700_000_000_000_000, "the wall clock reads Unix-epoch microseconds: \(wall)")
    }
}
