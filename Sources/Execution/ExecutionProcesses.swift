import Foundation
import Scheduling

/// Finding a run's processes by the `JOBDIR_EXECUTION` variable every run is started with:
/// for the daemon, when a run's record or pid cannot say which processes are its own.
package enum ExecutionProcesses {
    /// The process groups of the processes whose environment has `JOBDIR_EXECUTION=<id>`,
    /// in pid order (a run's supervisor, then its command).
    package static func groups(runningExecution id: ExecutionID) -> [Int32] {
        let marker = Array("JOBDIR_EXECUTION=\(id.rawValue)".utf8)
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init).sorted()
        var groups: [Int32] = []
        for pid in pids {
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"), hasEntry([UInt8](environ), marker) else { continue }
            let group = ProcessTable.processGroup(of: pid) ?? pid
            if !groups.contains(group) { groups.append(group) }
        }
        return groups
    }

    /// Whether the NUL-separated `environ` holds exactly `entry`.
    package static func hasEntry(_ environ: [UInt8], _ entry: [UInt8]) -> Bool {
        environ.split(separator: 0, omittingEmptySubsequences: true).contains { $0.elementsEqual(entry) }
    }
}
