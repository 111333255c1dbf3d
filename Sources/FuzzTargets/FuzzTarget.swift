/// Every byte stream jobdir reads that someone else may write, as a function from bytes
/// to nothing: it returns for any input, and stops the process (`FuzzCheck.fail`) when a
/// property that must hold for every input does not. libFuzzer drives these through
/// `jobdir-fuzz`; the unit tests replay the seeds and every input a run has kept.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// A job file with an optional `_defaults.yaml` (YAML reader, parser, merging).
    case jobFile = "job-file"
    /// The content of `triggers/<job-id>`.
    case triggerRequest = "trigger-request"
    /// The name of `cancel/<execution-id>` and the content of an approval marker.
    case marker
    /// Each state file the daemon and the command line read back.
    case stateFile = "state-file"
    /// A TZif file, and cron evaluation in the zone it describes.
    case tzif
    /// A cron expression in a named time zone from a start time.
    case cron
    /// A run supervisor's outcome file (`executions/<job>/<id>.outcome`).
    case outcome
    /// An answer of etcd's JSON gateway, or its watch stream.
    case etcd

    package func run(_ bytes: [UInt8]) {
        switch self {
        case .jobFile: JobFileTarget.run(bytes)
        case .triggerRequest: TriggerRequestTarget.run(bytes)
        case .marker: MarkerTarget.run(bytes)
        case .stateFile: StateFileTarget.run(bytes)
        case .tzif: TZifTarget.run(bytes)
        case .cron: CronTarget.run(bytes)
        case .outcome: OutcomeTarget.run(bytes)
        case .etcd: EtcdTarget.run(bytes)
        }
    }
}

/// A property every input must keep; a broken one is a finding, like a crash.
package enum FuzzCheck {
    package static func expect(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { fatalError("fuzz property broken: \(message())") }
    }
}
