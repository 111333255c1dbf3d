import Cron
import Foundation
import Testing
@testable import Scheduling

/// One sample of each kind of event, so every (state, event) pair is tested.
enum EventSample: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case requestApproval, approve, reject, expire, start, processStarted, finish, cancel, skip, interrupt

    var event: ExecutionEvent {
        switch self {
        case .requestApproval: .requestApproval(expiresAt: nil)
        case .approve: .approve(by: "alice", comment: nil)
        case .reject: .reject(by: "bob", comment: "no")
        case .expire: .expire
        case .start: .start
        case .processStarted: .processStarted(pid: 99, startTime: 5)
        case .finish: .finish(RunResult(termination: .exited(code: 0)))
        case .cancel: .cancel(reason: "by hand")
        case .skip: .skip(kind: "overlap", message: "already running")
        case .interrupt: .interrupt(message: "daemon died")
        }
    }

    var testDescription: String { rawValue }
}

@Suite struct ExecutionTransitionTests {
    static let t0 = Timestamp.parse("2026-11-23T01:30:00.000Z")!

    /// The only legal pairs and the state each leads to.
    static let legal: [ExecutionState: [EventSample: ExecutionState]] = [
        .queued: [.requestApproval: .awaitingApproval, .start: .running, .cancel: .canceled, .skip: .skipped],
        .awaitingApproval: [.approve: .queued, .reject: .rejected, .expire: .expired, .cancel: .canceled],
        .running: [.processStarted: .running, .finish: .succeeded, .interrupt: .interrupted],
    ]

    static func record(in state: ExecutionState) -> ExecutionRecord {
        var r = ExecutionRecordCodingTests.queued()
        r.state = state
        if state == .awaitingApproval { r.approval = ApprovalSummary(state: .pending, requestedAt: t0, expiresAt: nil) }
        if state == .running || state.isTerminal { r.startedAt = t0 }
        if state.isTerminal { r.finishedAt = t0.addingTimeInterval(1) }
        return r
    }

    @Test(arguments: ExecutionState.allCases, EventSample.allCases)
    func everyStateEventPair(_ state: ExecutionState, _ sample: EventSample) throws {
        let before = Self.record(in: state)
        let at = Self.t0.addingTimeInterval(5)
        if let expected = Self.legal[state]?[sample] {
            let after = try transition(before, sample.event, at: at)
            #expect(after.state == expected)
            #expect(after.id == before.id && after.occurrence == before.occurrence && after.job == before.job)
            if expected.isTerminal {
                #expect(after.finishedAt == at)
            }
        } else {
            #expect(throws: TransitionError(execution: before.id, state: state, event: sample.event.name)) {
                try transition(before, sample.event, at: at)
            }
        }
    }

    @Test func terminalStatesAreExactlyTheSpecOnes() {
        #expect(Set(ExecutionState.allCases.filter(\.isTerminal)) ==
                [.succeeded, .failed, .timedOut, .canceled, .rejected, .expired, .skipped, .interrupted])
        #expect(Set(ExecutionState.allCases.map(\.rawValue)) ==
                ["queued", "awaiting_approval", "running", "succeeded", "failed", "timed_out", "canceled", "rejected",
                 "expired", "skipped", "interrupted"])
    }

    @Test func processStartedOnlyOnce() throws {
        let running = try transition(Self.record(in: .queued), .start, at: Self.t0)
        #expect(running.startedAt == Self.t0)
        let started = try transition(running, .processStarted(pid: 10, startTime: 77), at: Self.t0)
        #expect(started.pid == 10 && started.pidStartTime == 77 && started.state == .running)
        #expect(throws: TransitionError.self) { try transition(started, .processStarted(pid: 11, startTime: 78), at: Self.t0) }
    }

    @Test(arguments: [
        (RunResult(termination: .exited(code: 0)), ExecutionState.succeeded, nil as String?),
        (RunResult(termination: .exited(code: 3)), .failed, "exit_status"),
        (RunResult(termination: .signaled(signal: 9)), .failed, "signal"),
        (RunResult(termination: .spawnFailed(ExecutionFailure(kind: "spawn_not_found", message: "/x: No such file"))), .failed, "spawn_not_found"),
        (RunResult(termination: .signaled(signal: 15), stoppedBy: .timeout), .timedOut, "timeout"),
        (RunResult(termination: .exited(code: 0), stoppedBy: .timeout), .timedOut, "timeout"),
        (RunResult(termination: .signaled(signal: 15), stoppedBy: .cancel), .canceled, "canceled"),
    ])
    func finishMapsTheResult(_ result: RunResult, _ state: ExecutionState, _ errorKind: String?) throws {
        let running = try transition(Self.record(in: .queued), .start, at: Self.t0)
        let done = try transition(running, .finish(result), at: Self.t0.addingTimeInterval(2))
        #expect(done.state == state)
        #expect(done.error?.kind == errorKind)
        #expect(done.durationMilliseconds == 2000)
        if case .exited(let code) = result.termination { #expect(done.exitCode == code && done.signal == nil) }
        if case .signaled(let signal) = result.termination { #expect(done.signal == signal && done.exitCode == nil) }
    }

    @Test func approvalDecisionsAreRecorded() throws {
        let waiting = try transition(Self.record(in: .queued), .requestApproval(expiresAt: Self.t0.addingTimeInterval(60)), at: Self.t0)
        #expect(waiting.approval?.state == .pending && waiting.approval?.expiresAt == Self.t0.addingTimeInterval(60))
        let rejected = try transition(waiting, .reject(by: "bob", comment: "not today"), at: Self.t0.addingTimeInterval(1))
        #expect(rejected.approval?.state == .rejected && rejected.approval?.decidedBy == "bob" && rejected.approval?.comment == "not today")
        let expired = try transition(waiting, .expire, at: Self.t0.addingTimeInterval(61))
        #expect(expired.approval?.state == .expired && expired.error?.kind == "expired")
    }

    @Test func aTerminalRecordNeverChanges() {
        for state in ExecutionState.allCases where state.isTerminal {
            let record = Self.record(in: state)
            for sample in EventSample.allCases {
                #expect((try? transition(record, sample.event, at: Self.t0)) == nil)
            }
        }
    }
}
