import Definitions
import Scheduling

/// An execution the daemon has started and not yet seen end.
struct ActiveRun {
    var record: ExecutionRecord
    /// The definition it started with; an edit does not change a running execution.
    var definition: JobDefinition
    /// Its supervisor, once launched (or re-attached).
    var supervisor: SupervisorProcess?
}
