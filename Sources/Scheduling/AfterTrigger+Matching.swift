import Definitions

extension AfterTrigger.Condition {
    /// Whether an upstream execution that ended in `state` fires this link:
    /// `success` on `succeeded`; `failure` on `failed`, `timed_out` and `interrupted`
    /// (not `canceled`, `rejected` or `expired`: those were decisions, not failures);
    /// `always` on every terminal state but `skipped` (a skipped execution never ran).
    package func matches(_ state: ExecutionState) -> Bool {
        switch self {
        case .success: state == .succeeded
        case .failure: state.isFailure
        case .always: state.isTerminal && state != .skipped
        }
    }
}
