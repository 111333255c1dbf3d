@testable import Daemon
import Definitions
import Fleet
import Foundation
import HTTP
import PolicySupport
import Scheduling
import Testing

/// `FleetBook` on its own: what waits for etcd and how much of it, claims held, takeovers
/// due. Its member speaks to nobody here (no call is made).
@Suite struct FleetBookTests {
    let http: HTTPClient
    let book: FleetBook

    init() throws {
        http = try HTTPClient(hooks: HTTPClient.Hooks(watch: { _, _, _ in }, unwatch: { _ in }))
        let member = FleetMember(fleet: "t", host: "a", labels: [:], client: EtcdClient(endpoints: ["http://127.0.0.1:1"], http: http),
                                 ttl: .seconds(10), margin: .seconds(3), monotonicNow: { 0 }, log: { _, _ in }, onEvent: { _ in })
        book = FleetBook(member: member, settings: FleetSettings(endpoints: ["http://127.0.0.1:1"], name: "t"))
    }

    func waiting(_ job: String, slot: Double) -> FleetBook.Waiting {
        FleetBook.Waiting(job: Policy.jobID(job), trigger: ExecutionTrigger(kind: .cron, scheduledFor: Policy.at(slot)),
                          occurrence: .slot(job: job, kind: .cron, at: Policy.at(slot)), requestEnvironment: [:], since: Policy.at(slot), reason: "down")
    }

    @Test func occurrencesOnTimeAllWaitAndMissedOnesFollowCatchup() {
        let plain = Policy.job("j")
        for slot in [1.0, 2, 3] { #expect(book.wait(waiting("j", slot: slot), definition: plain, now: Policy.at(10)).isEmpty) }
        #expect(book.waiting.count == 3, "within 60 s of their slots all wait")
        // Another job's occurrence waits beside them.
        book.wait(waiting("k", slot: 1), definition: Policy.job("k"), now: Policy.at(10))
        let (claims, dropped) = book.takeWaiting(job: Policy.jobID("k"), now: Policy.at(10)) { _ in Policy.job("k") }
        #expect(claims.map(\.job) == [Policy.jobID("k")] && dropped.isEmpty)
        // 61 s after the first slot, it is missed: catchup none drops it when they are taken.
        let (late, gone) = book.takeWaiting(now: Policy.at(61.5)) { _ in plain }
        #expect(gone.map(\.trigger.scheduledFor) == [Policy.at(1)])
        #expect(late.map(\.trigger.scheduledFor) == [Policy.at(2), Policy.at(3)], "oldest first")
        #expect(book.waiting.isEmpty)
    }

    @Test func missedOccurrencesFollowLatestAndAll() {
        let latest = Policy.job("j", "catchup: latest\n")
        for slot in [1.0, 2, 3] { book.wait(waiting("j", slot: slot), definition: latest, now: Policy.at(3)) }
        #expect(book.takeWaiting(now: Policy.at(100)) { _ in latest }.claim.map(\.trigger.scheduledFor) == [Policy.at(3)])
        let all = Policy.job("j", "catchup: all\nmax_catchup: 2\n")
        for slot in [1.0, 2, 3] { book.wait(waiting("j", slot: slot), definition: all, now: Policy.at(3)) }
        #expect(book.takeWaiting(now: Policy.at(100)) { _ in all }.claim.map(\.trigger.scheduledFor) == [Policy.at(2), Policy.at(3)])
    }

    @Test func aClaimIsWaitingClaimingOrHeldAndGoesWhenReleased() {
        let entry = waiting("j", slot: 1)
        book.wait(entry, definition: Policy.job("j"), now: Policy.at(1))
        book.beginClaim(entry.occurrence)
        #expect(book.waiting.isEmpty && book.knows(entry.occurrence))
        book.endClaim(entry.occurrence, won: 42, job: entry.job, running: true)
        #expect(book.held[entry.occurrence]?.fence == 42)
        #expect(book.markStarted(entry.occurrence, attempt: 1)?.started == true)
        #expect(book.markStarted(entry.occurrence, attempt: 1) == nil, "once per attempt")
        #expect(book.markStarted(entry.occurrence, attempt: 2)?.attempt == 2, "a retry's start rewrites the claim with its attempt")
        #expect(book.markStarted(entry.occurrence, attempt: 2) == nil)
        #expect(book.release(entry.occurrence)?.running == true)
        #expect(!book.knows(entry.occurrence))
        #expect(!book.takePruneDue(entry.job, keep: 2))
        book.endClaim(entry.occurrence, won: 43, job: entry.job)
        _ = book.release(entry.occurrence)
        #expect(book.takePruneDue(entry.job, keep: 2), "every `keep` finishes")
    }

    @Test func duringRecoveryARunEndedBeforeItsClaimWasAdoptedIsReleasedFromItsFence() {
        let occurrence = OccurrenceKey.slot(job: "j", kind: .cron, at: Policy.at(1))
        #expect(book.release(occurrence, recordedFence: nil, job: Policy.jobID("j")) == nil, "no fence, no claim")
        let claim = book.release(occurrence, recordedFence: 7, job: Policy.jobID("j"))
        #expect(claim?.fence == 7 && claim?.running == true, "the running key too, if it came with that claim")
        book.recovered()
        #expect(book.release(occurrence, recordedFence: 7, job: Policy.jobID("j")) == nil, "after recovery only held claims are released")
        book.endClaim(occurrence, won: 9, job: Policy.jobID("j"))
        #expect(book.release(occurrence, recordedFence: 7, job: Policy.jobID("j"))?.fence == 9, "the held claim comes first")
    }

    @Test func aTakeoverNotClaimedYetIsTriedWhileOnTimeThenAsCatchupSays() {
        func takeover(_ slot: Double, seenGoneAt: Double) -> FleetBook.Takeover {
            FleetBook.Takeover(occurrence: .slot(job: "j", kind: .cron, at: Policy.at(slot)), job: Policy.jobID("j"),
                               trigger: ExecutionTrigger(kind: .cron, scheduledFor: Policy.at(slot)), attempt: 1, started: false, from: "b",
                               due: 0, since: Policy.at(seenGoneAt))
        }
        let first = takeover(1, seenGoneAt: 10), none = Policy.job("j")
        #expect(book.keepsTrying(first, definition: none, now: Policy.at(70)), "on time for 60 s after its claim was seen gone")
        #expect(!book.keepsTrying(first, definition: none, now: Policy.at(71)), "catchup none: missed, given up")
        book.schedule(takeover(2, seenGoneAt: 20))
        let latest = Policy.job("j", "catchup: latest\n")
        #expect(!book.keepsTrying(first, definition: latest, now: Policy.at(100)), "a newer one of the job waits")
        #expect(book.keepsTrying(takeover(2, seenGoneAt: 20), definition: latest, now: Policy.at(100)))
        #expect(book.keepsTrying(first, definition: Policy.job("j", "catchup: all\nmax_catchup: 2\n"), now: Policy.at(100)))
        #expect(!book.keepsTrying(first, definition: Policy.job("j", "catchup: all\nmax_catchup: 1\n"), now: Policy.at(100)))
    }

    @Test func takeoversAreDueAfterTheirJitterOnce() {
        let occurrence = OccurrenceKey.slot(job: "j", kind: .cron, at: Policy.at(1))
        let takeover = FleetBook.Takeover(occurrence: occurrence, job: Policy.jobID("j"), trigger: ExecutionTrigger(kind: .cron, scheduledFor: Policy.at(1)),
                                          attempt: 1, started: false, from: "b", due: 500)
        book.schedule(takeover)
        book.schedule(takeover)
        #expect(book.takeDueTakeovers(now: 499).isEmpty)
        #expect(book.takeDueTakeovers(now: 500).count == 1)
        #expect(book.takeDueTakeovers(now: 600).isEmpty)
    }
}
