import Scheduling

/// An execution waiting to start, with what its trigger asked for.
struct WaitingExecution {
    var record: ExecutionRecord
    var requestEnvironment: [String: String]
}
