import ArgumentParser
import Foundation

/// `--state` alone, for verbs that read only the state directory (`metrics`); the
/// environment supplies the default as for `DirectoryOptions`.
struct StateOption: ParsableArguments {
    @Option(name: .customLong("state"), help: "The state directory (default: $JOBDIR_STATE or ./state).")
    var stateOption: String?

    var state: String { stateOption ?? ProcessInfo.processInfo.environment["JOBDIR_STATE"] ?? "./state" }
}
