import Foundation
import Scheduling

// How the human tables show an execution record.

extension ExecutionRecord {
    /// `exit 0`, `SIGKILL` (or `signal 64`), or the error's message; `-` when there is nothing yet.
    var resultText: String {
        if let exitCode { return "exit \(exitCode)" }
        if let signal { return Self.signalNames[signal].map { "SIG\($0)" } ?? "signal \(signal)" }
        if let error { return Console.oneLine(error.message) }
        return "-"
    }

    /// The run's duration when it ended, its elapsed time while it runs, else `-`.
    func durationText(now: Date) -> String {
        if let durationMilliseconds { return TimeText.duration(milliseconds: durationMilliseconds) }
        if let startedAt, state == .running { return TimeText.between(startedAt, now) }
        return "-"
    }

    /// When the execution asked for approval.
    var approvalRequestedAt: Date { approval?.requestedAt ?? createdAt }

    private static let signalNames: [Int32: String] = [
        1: "HUP", 2: "INT", 3: "QUIT", 4: "ILL", 6: "ABRT", 7: "BUS", 8: "FPE", 9: "KILL", 10: "USR1",
        11: "SEGV", 12: "USR2", 13: "PIPE", 14: "ALRM", 15: "TERM", 24: "XCPU", 25: "XFSZ",
    ]
}
