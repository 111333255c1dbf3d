import ArgumentParser
import Foundation
import Glibc
import Scheduling
import StateStore

/// Read-only access to state/ for the operator's verbs: results, execution records and
/// approval requests, found by walking the directories (job ids with `/` are subdirectories).
/// Files that do not parse are reported on stderr and skipped, so one bad file does not
/// hide the rest.
struct StateReader {
    let store: StateStore
    /// The verb, for warnings.
    let verb: String
    /// The files met that could not be read.
    let unreadable = UnreadableStateFiles()

    init(root: String, verb: String) {
        store = StateStore(root: root)
        self.verb = verb
    }

    var layout: StateLayout { store.layout }

    /// Every `results/<job>.json`, sorted by job id.
    func results() -> [JobResult] {
        let (results, problems) = store.allResults()
        for problem in problems { skip(problem) }
        return results
    }

    /// `results/<job>.json`, or nil when absent or unreadable.
    func result(job: String) -> JobResult? {
        guard StateLayout.isSafeJobID(job) else { return nil }
        return document(JobResult.self, at: layout.resultFile(job: job))
    }

    /// Ids of the jobs that have a directory under `executions/`, sorted.
    func jobsWithRecords() -> [String] {
        directories(under: layout.executionsDirectory).filter { !((try? store.recordIDs(job: $0)) ?? []).isEmpty }
    }

    /// The records of `job`, oldest first; one that does not parse is reported and skipped.
    func records(job: String) throws(ExitCode) -> [ExecutionRecord] {
        do {
            return try store.recordIDs(job: job).compactMap { decodedRecord(job: job, id: $0) }
        } catch {
            throw Console.failure(verb, "cannot read \(error)")
        }
    }

    /// The records of every job (or of `job`) not yet terminal, oldest first. Only files
    /// that hold a live state's name as a JSON string are decoded: a live record must.
    func liveRecords(job: String? = nil) -> [ExecutionRecord] {
        let jobs = job.map { [$0] } ?? jobsWithRecords()
        return jobs.flatMap { job in
            ((try? store.recordIDs(job: job)) ?? []).compactMap { id -> ExecutionRecord? in
                let path = layout.executionFile(job: job, id: id)
                guard let data = FileManager.default.contents(atPath: path) else { return nil }
                guard Self.mayBeLive(data) else {
                    if !Self.namesState(data) { unreadable.add(path, "holds no execution state") }
                    return nil
                }
                do throws(StateStoreError) {
                    let record = try StateJSON.decode(ExecutionRecord.self, from: [UInt8](data), path: path)
                    return record.state.isTerminal ? nil : record
                } catch {
                    skip(error)
                    return nil
                }
            }
        }.sorted { $0.id < $1.id }
    }

    private static let liveStateNames = ExecutionState.allCases.filter { !$0.isTerminal }.map { Data("\"\($0.rawValue)\"".utf8) }

    private static func mayBeLive(_ data: Data) -> Bool {
        liveStateNames.contains { data.range(of: $0) != nil }
    }

    private static let terminalStateNames = ExecutionState.allCases.filter(\.isTerminal).map { Data("\"\($0.rawValue)\"".utf8) }

    /// Whether a file that holds no live state's name holds a terminal one: a record
    /// with neither cannot be read (the rest of a terminal record is not checked).
    private static func namesState(_ data: Data) -> Bool {
        terminalStateNames.contains { data.range(of: $0) != nil }
    }

    /// The record with this id, whichever job it belongs to. `jobs` names jobs to look in
    /// besides those found by listing `executions/`: another user may pass through a job's
    /// directory to the jobs below it without listing it (SPEC section 11).
    func record(id: ExecutionID, jobs: () -> [String] = { [] }) -> ExecutionRecord? {
        let listed = directories(under: layout.executionsDirectory)
        for job in listed where FileManager.default.fileExists(atPath: layout.executionFile(job: job, id: id)) {
            if let record = decodedRecord(job: job, id: id) { return record }
        }
        for job in jobs() where !listed.contains(job) && StateLayout.isSafeJobID(job)
            && FileManager.default.fileExists(atPath: layout.executionFile(job: job, id: id)) {
            if let record = decodedRecord(job: job, id: id) { return record }
        }
        return nil
    }

    /// Every `approvals/<execution-id>.json`, sorted by execution id.
    func approvals() -> [ApprovalFile] {
        files(under: layout.approvalsDirectory, suffix: ".json").compactMap { name in
            ExecutionID(rawValue: String(name.dropLast(5))).flatMap(approval(id:))
        }.sorted { $0.execution < $1.execution }
    }

    /// `approvals/<id>.json`, or nil when absent or unreadable.
    func approval(id: ExecutionID) -> ApprovalFile? {
        document(ApprovalFile.self, at: layout.approvalFile(id: id))
    }

    /// The document at `path`: nil when absent, or unreadable (then reported).
    private func document<T: Decodable>(_ type: T.Type, at path: String) -> T? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try StateJSON.decode(type, from: [UInt8](data), path: path)
        } catch {
            skip(error)
            return nil
        }
    }

    private func decodedRecord(job: String, id: ExecutionID) -> ExecutionRecord? {
        do { return try store.record(job: job, id: id) } catch {
            skip(error)
            return nil
        }
    }

    /// Reports a file that does not read on stderr and keeps it for `status`.
    private func skip(_ error: StateStoreError) {
        Console.notice(verb, "skipping \(error)")
        unreadable.add(error.path, error.message)
    }

    /// Paths relative to `root` of the regular files ending in `suffix`, at any depth,
    /// skipping names that start with `.` (temp files).
    private func files(under root: String, suffix: String) -> [String] {
        walk(root).files.filter { $0.hasSuffix(suffix) }
    }

    /// Paths relative to `root` of every directory below it, sorted.
    private func directories(under root: String) -> [String] {
        walk(root).directories
    }

    private func walk(_ root: String) -> (files: [String], directories: [String]) {
        var files: [String] = [], directories: [String] = []
        var pending = [""]
        let manager = FileManager.default
        while let relative = pending.popLast() {
            let path = relative.isEmpty ? root : root + "/" + relative
            guard let names = try? manager.contentsOfDirectory(atPath: path) else { continue }
            for name in names where !name.hasPrefix(".") {
                let child = relative.isEmpty ? name : relative + "/" + name
                var isDirectory: ObjCBool = false
                guard manager.fileExists(atPath: root + "/" + child, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    directories.append(child)
                    pending.append(child)
                } else {
                    files.append(child)
                }
            }
        }
        return (files.sorted(), directories.sorted())
    }
}

extension StateReader {
    /// Whether this user may look at every job's records: a job's are its user's and
    /// operators' besides the daemon's user's (SPEC section 11).
    var canReadRecords: Bool {
        ([""] + directories(under: layout.executionsDirectory)).allSatisfy { job in
            access(job.isEmpty ? layout.executionsDirectory : layout.executionsDirectory(job: job), R_OK | X_OK) == 0 || errno != EACCES
        }
    }

    /// The record whose id is `text`, or a failure saying there is none; `jobs` as for
    /// `record(id:jobs:)`, asked only when listing found none.
    func requireRecord(_ text: String, jobs: () -> [String] = { [] }) throws(ExitCode) -> ExecutionRecord {
        guard let id = ExecutionID(rawValue: text) else {
            throw Console.failure(verb, "`\(text)` is not an execution id (they look like 20261123T013000.000Z-cron-7f3a); "
                + "`jobdir history JOB` lists a job's executions")
        }
        guard let record = record(id: id, jobs: jobs) else {
            if !canReadRecords {
                throw Console.failure(verb, "cannot read every job's records in \(layout.executionsDirectory): Permission denied; "
                    + "a job's records and logs are readable by the daemon's user, the user it runs as and its operators only: "
                    + "another user's run is not yours to read")
            }
            throw Console.failure(verb, "no execution \(text) in \(layout.root); "
                + "`jobdir status` lists live executions, `jobdir history JOB` past ones")
        }
        return record
    }
}
