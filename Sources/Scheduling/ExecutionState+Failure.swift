extension ExecutionState {
    /// `failed`, `timed_out` and `interrupted`: the states that retries retry and that
    /// `after: {on: failure}` follows. `canceled`, `rejected`, `expired` and `skipped`
    /// were decisions (a person's, or a rule's), not failures of the command.
    package var isFailure: Bool {
        switch self {
        case .failed, .timedOut, .interrupted: true
        default: false
        }
    }
}
