import Execution
import Scheduling

/// What a run's task tells the event loop.
enum RunMessage: Sendable {
    case started(ExecutionID, StartedProcess)
    case finished(ExecutionID, RunOutcome)
}
