import Definitions
import Scheduling
import StateStore

/// Who besides the daemon's user reads each job's state files (SPEC section 11): the
/// job's user and operators its records, logs and result; its approvers its pending
/// approval requests. The one owner of those lists; the store applies them (`grant` for
/// the directories, an ACL on each result and approval file as it is written).
struct StateAccess {
    private var recordReaders: [JobID: StateReaders] = [:]
    private var approvalReaders: [JobID: StateReaders] = [:]

    /// Takes the lists of `definition`'s job; returns its record readers when they are new
    /// or changed (the directories must be granted again), nil when they are as they were.
    mutating func update(_ definition: JobDefinition, daemonUID: UInt32) -> StateReaders? {
        let records = StateReaders.ofRecords(definition, daemonUID: daemonUID)
        approvalReaders[definition.id] = StateReaders.ofApprovals(definition, daemonUID: daemonUID)
        guard recordReaders[definition.id] != records else { return nil }
        recordReaders[definition.id] = records
        return records
    }

    /// The ACLs of the files among `paths` that others may read: results and approval
    /// requests (`job(of:)` names an approval's job). Records and logs need none: they
    /// inherit their directory's.
    func accessLists(for paths: some Sequence<String>, layout: StateLayout,
                     job: (ExecutionID) -> JobID?) -> [String: AccessList] {
        var lists: [String: AccessList] = [:]
        let results = layout.resultsDirectory + "/", approvals = layout.approvalsDirectory + "/"
        for path in paths where path.hasSuffix(".json") {
            let readers: StateReaders?
            if path.hasPrefix(results) {
                readers = JobID(String(path.dropFirst(results.count).dropLast(5))).flatMap { recordReaders[$0] }
            } else if path.hasPrefix(approvals) {
                readers = ExecutionID(rawValue: String(path.dropFirst(approvals.count).dropLast(5)))
                    .flatMap(job).flatMap { approvalReaders[$0] }
            } else {
                readers = nil
            }
            if let readers, !readers.isEmpty { lists[path] = AccessList(readers: readers, directory: false) }
        }
        return lists
    }
}
