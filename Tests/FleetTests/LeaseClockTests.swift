import Testing
@testable import Fleet

/// The lease's deadline counts from the send time of the last acknowledged renewal.
@Suite struct LeaseClockTests {
    let second: UInt64 = 1_000_000_000

    @Test func theDeadlineIsTheLastAcknowledgedSendPlusTTLMinusTheMargin() {
        var clock = LeaseClock(ttlNanoseconds: 10 * second, marginNanoseconds: 3 * second)
        #expect(clock.deadline == nil && clock.renewDue == nil)
        clock.sent(at: 100 * second)
        clock.acknowledged(sentAt: 100 * second)
        #expect(clock.deadline == 107 * second)
        #expect(clock.renewInterval == 10 * second / 3)
        #expect(clock.renewDue == 100 * second + 10 * second / 3)
        // A renewal sent and not (yet) answered moves nothing but the next renewal.
        clock.sent(at: 103 * second)
        #expect(clock.deadline == 107 * second)
        #expect(!clock.isPastDeadline(at: 106 * second))
        #expect(clock.isPastDeadline(at: 107 * second))
        // Its late answer counts from when it was sent, not when it came.
        clock.acknowledged(sentAt: 103 * second)
        #expect(clock.deadline == 110 * second)
        // An older answer arriving after a newer one does not move the deadline back.
        clock.acknowledged(sentAt: 101 * second)
        #expect(clock.deadline == 110 * second)
        clock.lost()
        #expect(clock.deadline == nil && !clock.isPastDeadline(at: 200 * second))
    }
}
