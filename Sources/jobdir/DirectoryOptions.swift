import ArgumentParser
import Foundation

/// `--jobs` and `--state`, shared by every verb; the environment supplies defaults.
struct DirectoryOptions: ParsableArguments {
    @Option(name: .customLong("jobs"), help: "The jobs directory (default: $JOBDIR_JOBS or ./jobs).")
    var jobsOption: String?

    @Option(name: .customLong("state"), help: "The state directory (default: $JOBDIR_STATE or ./state).")
    var stateOption: String?

    var jobs: String { jobsOption ?? ProcessInfo.processInfo.environment["JOBDIR_JOBS"] ?? "./jobs" }
    var state: String { stateOption ?? ProcessInfo.processInfo.environment["JOBDIR_STATE"] ?? "./state" }
}
