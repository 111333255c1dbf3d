import Execution
import Scheduling

/// What a run's task tells the event loop.
enum RunMessage: Sendable {
    case started(ExecutionID, StartedProcess)
    case finished(ExecutionID, RunOutcome)
}

/// An execution waiting to start, with what its trigger asked for.
struct WaitingExecution {
    var record: ExecutionRecord
    var requestEnvironment: [String: String]
}
