/// The state of one execution. `queued`, `awaiting_approval` and `running` are live;
/// every other state is terminal and never changes again.
package enum ExecutionState: String, CaseIterable, Hashable, Sendable, Codable {
    case queued
    case awaitingApproval = "awaiting_approval"
    case running
    case succeeded
    case failed
    case timedOut = "timed_out"
    case canceled
    case rejected
    case expired
    case skipped
    case interrupted

    package var isTerminal: Bool {
        switch self {
        case .queued, .awaitingApproval, .running: false
        default: true
        }
    }
}
