import Definitions
import Foundation
import PolicySupport
import Scheduling
import Testing

@Suite struct ChainFiringTests {
    static let expected: [AfterTrigger.Condition: Set<ExecutionState>] = [
        .success: [.succeeded],
        .failure: [.failed, .timedOut, .interrupted],
        .always: [.succeeded, .failed, .timedOut, .canceled, .rejected, .expired, .interrupted],
    ]

    @Test(arguments: AfterTrigger.Condition.allCases, ExecutionState.allCases)
    func conditionMatchesState(_ condition: AfterTrigger.Condition, _ state: ExecutionState) {
        #expect(condition.matches(state) == Self.expected[condition]!.contains(state))
    }

    let definitions = [
        Policy.job("on-success", "after: up"),
        Policy.job("on-failure", "after: {job: up, on: failure}"),
        Policy.job("on-always", "after: {job: up, on: always}"),
        Policy.job("twice", "after: [{job: up, on: success}, {job: up, on: always}]"),
        Policy.job("disabled", "after: {job: up, on: always}\nenabled: false"),
        Policy.job("elsewhere", "after: {job: other, on: always}"),
        Policy.job("plain"),
    ]

    @Test(arguments: ExecutionState.allCases)
    func firedJobsPerEndState(_ state: ExecutionState) {
        let upstream = Policy.record("up", slot: 0, state: state)
        let fired = ChainFiring.fired(by: upstream, retryFollows: false, definitions: definitions).map(\.job.rawValue)
        let expected: [String] = switch state {
        case .succeeded: ["on-always", "on-success", "twice"]
        case .failed, .timedOut, .interrupted: ["on-always", "on-failure", "twice"]
        case .canceled, .rejected, .expired: ["on-always", "twice"]
        case .skipped, .queued, .awaitingApproval, .running: []
        }
        #expect(fired == expected)
    }

    @Test func theFiring() throws {
        let upstream = Policy.record("up", slot: 0, state: .failed, finishedAfter: 12)
        let fired = ChainFiring.fired(by: upstream, retryFollows: false, definitions: [Policy.job("down", "after: {job: up, on: failure}")])
        let firing = try #require(fired.first)
        #expect(fired.count == 1)
        #expect(firing.job == Policy.jobID("down"))
        #expect(firing.occurrence == .chain(job: "down", upstream: upstream.id))
        #expect(firing.occurrence.rawValue == "down:after:\(upstream.id)")
        #expect(firing.due == Policy.at(12))
        #expect(firing.trigger == ExecutionTrigger(kind: .after, scheduledFor: Policy.at(12), extra: [
            "upstream_job": .string("up"), "upstream_execution": .string(upstream.id.rawValue), "upstream_state": .string("failed"),
        ]))
    }

    @Test func noFiringWhileARetryFollows() {
        let down = Policy.job("down", "after: {job: up, on: always}")
        let policy = Policy.retries(max: 1, backoff: .seconds(1), maxBackoff: .seconds(1))
        let first = Policy.record("up", slot: 0, attempt: 1, state: .failed)
        let retryFollows = policy.retry(after: first, fraction: 0.3) != nil
        #expect(retryFollows)
        #expect(ChainFiring.fired(by: first, retryFollows: retryFollows, definitions: [down]).isEmpty)
        let second = Policy.record("up", slot: 0, attempt: 2, state: .interrupted)
        let final = policy.retry(after: second, fraction: 0.3) == nil
        #expect(final)
        #expect(ChainFiring.fired(by: second, retryFollows: !final, definitions: [down]).map(\.occurrence)
            == [.chain(job: "down", upstream: second.id)])
    }

    @Test func nestedJobIDs() {
        let upstream = Policy.record("reports/daily", slot: 0, state: .succeeded)
        let fired = ChainFiring.fired(by: upstream, retryFollows: false, definitions: [
            Policy.job("reports/mail", "after: reports/daily"), Policy.job("reports/daily-copy", "after: reports/dail"),
        ])
        #expect(fired.map(\.job.rawValue) == ["reports/mail"])
    }
}
