import Definitions
import Glibc
import Scheduling
import StateStore

/// Trigger and cancel requests from other users (SPEC section 11): the drop boxes are
/// writable by everyone, so a request counts only from someone allowed to make it.
extension Daemon {
    /// The job of a running, waiting or approval-awaiting execution.
    func job(of execution: ExecutionID) -> JobID? {
        let record = runs.running[execution]?.record ?? runs.waiting[execution]?.record ?? approvals[execution]?.record
        return record.flatMap { JobID($0.job) }
    }

    /// The ACLs of the results and approval requests among `paths` (`StateAccess`).
    func accessLists(for paths: some Sequence<String>) -> [String: AccessList] {
        readers.accessLists(for: paths, layout: store.layout, job: job(of:))
    }

    /// Why the request file at `path` does not count for `definition`, or nil when it does.
    func requestRefusal(_ path: String, for definition: JobDefinition) -> (owner: String, reason: String)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        if info.st_mode & S_IFMT == S_IFREG,
           OperatorAuthority.isAlwaysAllowed(ownerUID: info.st_uid, jobUserUID: definition.runAs?.uid, daemonUID: UInt32(geteuid())) {
            return nil
        }
        let request = ApprovalAuthority.Marker(requestFile: info), owner = request.ownerName
        let reason = OperatorAuthority.refusal(of: request, jobUserUID: definition.runAs?.uid, operators: definition.operators,
                                               daemonUID: UInt32(geteuid()))
        return reason.map { (owner, $0) }
    }
}
