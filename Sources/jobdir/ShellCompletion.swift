import ArgumentParser
import Foundation
import Scheduling

/// Completions the shell asks the binary for: job ids from the jobs directory and ids of
/// live executions from the state directory, each found from `--jobs`/`--state` among the
/// words typed so far, else the environment, else the defaults.
enum ShellCompletion {
    /// Ids of the job files.
    static let jobIDs = CompletionKind.custom { words, _, prefix in
        ClosestMatch.jobs(in: directory("--jobs", in: words, environment: "JOBDIR_JOBS", fallback: "./jobs")).match.ids
            .filter { $0.hasPrefix(prefix) }
    }

    /// Ids of executions not yet ended (queued, awaiting approval, running).
    static let liveExecutionIDs = CompletionKind.custom { words, _, prefix in
        let state = directory("--state", in: words, environment: "JOBDIR_STATE", fallback: "./state")
        return StateReader(root: state, verb: "completion").liveRecords().map(\.id.rawValue).filter { $0.hasPrefix(prefix) }
    }

    /// The value of `option` (`--jobs DIR` or `--jobs=DIR`) among `words`.
    private static func directory(_ option: String, in words: [String], environment: String, fallback: String) -> String {
        for (index, word) in words.enumerated() {
            if word == option, index + 1 < words.count { return words[index + 1] }
            if word.hasPrefix(option + "=") { return String(word.dropFirst(option.count + 1)) }
        }
        return ProcessInfo.processInfo.environment[environment] ?? fallback
    }
}
