import Execution
import Foundation
import Scheduling

/// A run supervisor's outcome file, through the reader the daemon uses
/// (`SupervisorOutcome.decode`); an accepted outcome must also make a terminal record.
enum OutcomeTarget {
    static func run(_ bytes: [UInt8]) {
        let outcome: SupervisorOutcome
        do { outcome = try SupervisorOutcome.decode(bytes, path: "fuzz.outcome") } catch {
            FuzzCheck.expect(!error.message.isEmpty, "refusal without a reason")
            return
        }
        let id = ExecutionID(rawValue: "20261123T013000.000Z-manual-0001")!
        let queued = ExecutionRecord.queued(id: id, job: "fuzz", occurrence: .manual(job: "fuzz", execution: id),
                                            trigger: ExecutionTrigger(kind: .manual, scheduledFor: id.dueAt),
                                            definitionSHA256: "", command: ["true"], host: "fuzz", at: id.dueAt)
        guard let running = try? transition(queued, .start, at: id.dueAt) else { return FuzzCheck.expect(false, "cannot start") }
        let result = outcome.runOutcome.runResult(logPath: "logs/fuzz/\(id.rawValue).log")
        guard let finished = try? transition(running, .finish(result), at: outcome.finishedAt) else {
            return FuzzCheck.expect(false, "an accepted outcome makes no terminal record")
        }
        FuzzCheck.expect(finished.state.isTerminal, "state \(finished.state) after an outcome")
    }
}
