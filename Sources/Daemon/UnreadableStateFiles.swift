import Definitions
import Execution
import Foundation
import Scheduling
import StateStore

/// State files the daemon met and could not read (a record, result or approval file that
/// does not decode). Each is logged once per daemon process, as `state_file_unreadable`
/// with the file and why; the file is left as it is for the operator, and
/// `jobdir status` lists it.
struct UnreadableStateFiles {
    private(set) var paths: Set<String> = []

    /// True the first time `path` is noted.
    mutating func note(_ path: String) -> Bool { paths.insert(path).inserted }
}

extension Daemon {
    /// Logs `error`'s file unless it was already logged.
    func reportUnreadable(_ error: StateStoreError) { reportUnreadable(path: error.path, message: error.message) }

    func reportUnreadable(path: String, message: String) {
        guard unreadableFiles.note(path) else { return }
        log.event("state_file_unreadable", ["file": path, "error": message])
    }

    /// A record, or nil when it is absent; one that cannot be read (or decoded) is
    /// reported and, at recovery, may still name a run that goes on (`recoverUnreadable`).
    func readRecord(job: String, id: ExecutionID) -> Result<ExecutionRecord?, StateStoreError> {
        do { return .success(try store.record(job: job, id: id)) } catch {
            reportUnreadable(error)
            return .failure(error)
        }
    }

    /// Recovery of an execution whose record cannot be read. Its id comes from the file
    /// name; a process group that still runs under that id (found by `JOBDIR_EXECUTION`
    /// in /proc/*/environ) is ended, since no record tracks it. Nothing is started or
    /// retried for it and the file stays.
    func recoverUnreadable(job: String, id: ExecutionID) {
        // The supervisor's group and the command's: both carry the execution id.
        let grace = JobID(job).flatMap { jobs.definition($0)?.killGrace } ?? .seconds(10)
        for group in ExecutionProcesses.groups(runningExecution: id) {
            log.event("recovering", ["execution": id.rawValue, "note": "its record cannot be read but its process group \(group) still runs; ending it"])
            ProcessTable.terminateGroup(group, grace: grace)
            log.event("ended_unrecorded_run", ["job": job, "execution": id.rawValue, "group": String(group)])
        }
    }
}

extension Daemon {
    /// The records of `job` that can be read, oldest first; the others are reported.
    func readableRecords(job: String) -> [ExecutionRecord] {
        (try? store.readableExecutions(job: job, unreadable: reportUnreadable)) ?? []
    }

    /// A result or approval file: nil when absent or unreadable (then reported).
    func readDocument<T: Decodable>(_ type: T.Type, at path: String) -> T? {
        guard let bytes = try? AtomicFile.read(path) else { return nil }
        do { return try StateJSON.decode(type, from: bytes, path: path) } catch {
            reportUnreadable(error)
            return nil
        }
    }
}
