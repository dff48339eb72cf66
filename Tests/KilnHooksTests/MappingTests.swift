import KilnAlarms
import KilnCore
import Testing

@testable import KilnHooks

@Suite struct MappingTests {
    @Test func retryAfterTakesSecondsAndHTTPDates() {
        let now: Int64 = 1_780_000_000_000_000  // 2026-05-28T20:26:40Z
        #expect(HTTPPoster.retryAfter("120", now: now) == .seconds(120))
        #expect(HTTPPoster.retryAfter(" 0 ", now: now) == .seconds(0))
        #expect(HTTPPoster.retryAfter("Thu, 28 May 2026 20:27:40 GMT", now: now) == .seconds(60))
        // A date in the past means at once.
        #expect(HTTPPoster.retryAfter("Thu, 28 May 2026 20:00:00 GMT", now: now) == .zero)
        #expect(HTTPPoster.retryAfter("soon", now: now) == nil)
        #expect(HTTPPoster.retryAfter("-5", now: now) == nil)
    }

    @Test func backOffDoublesWithJitterUpToTheCap() {
        let settings = DeliverySettings(backoffBase: .seconds(1), backoffCap: .seconds(300))
        for _ in 0..<50 {
            let first = settings.backoff(afterFailures: 1)
            #expect(first >= .milliseconds(500) && first <= .seconds(1))
            let fourth = settings.backoff(afterFailures: 4)
            #expect(fourth >= .seconds(4) && fourth <= .seconds(8))
            let late = settings.backoff(afterFailures: 200)
            #expect(late >= .seconds(150) && late <= .seconds(300))
        }
    }

    func event(_ transition: AlarmTransition, _ state: AlarmState) -> AlarmEvent {
        AlarmEvent(
            id: "e", transition: transition, episode: "ep", alarm: "d/t/high", name: "high", kind: .process,
            device: "d", tag: "t", severity: .minor, state: state, message: "m", time: 0)
    }

    @Test func pagerDutyActionsFollowTheAlarmState() {
        #expect(PagerDutySender.action(event(.activated, .activeUnacknowledged)) == "trigger")
        #expect(PagerDutySender.action(event(.acknowledged, .activeAcknowledged)) == "acknowledge")
        #expect(PagerDutySender.action(event(.cleared, .returnedUnacknowledged)) == "resolve")
        #expect(PagerDutySender.action(event(.shelved, .shelved)) == "resolve")
        #expect(PagerDutySender.action(event(.suppressed, .suppressed)) == "resolve")
        #expect(PagerDutySender.action(event(.unshelved, .activeUnacknowledged)) == "trigger")
        #expect(PagerDutySender.action(event(.test, .normal)) == "trigger")
        #expect(PagerDutySender.severity(.critical) == "critical")
        #expect(PagerDutySender.severity(.major) == "error")
        #expect(PagerDutySender.severity(.minor) == "warning")
        #expect(PagerDutySender.severity(.warning) == "warning")
        #expect(PagerDutySender.severity(.info) == "info")
    }

    @Test func alertmanagerFiresOnlyWhileActive() {
        #expect(AlertmanagerSender.firing(event(.activated, .activeUnacknowledged)))
        #expect(AlertmanagerSender.firing(event(.acknowledged, .activeAcknowledged)))
        #expect(!AlertmanagerSender.firing(event(.cleared, .returnedUnacknowledged)))
        #expect(!AlertmanagerSender.firing(event(.shelved, .shelved)))
        #expect(!AlertmanagerSender.firing(event(.outOfService, .outOfService)))
        let ack = AlertmanagerSender.alert(event(.acknowledged, .activeAcknowledged))
        #expect((ack["annotations"] as? [String: String])?["acknowledged"] == "true")
        #expect((ack["labels"] as? [String: String])?["kiln_episode"] == "ep")
    }
}
