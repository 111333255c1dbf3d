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

    /// Why the request `entry` does not count for `definition`, or nil when it does (or
    /// when nothing could be opened: there is no request to refuse).
    func requestRefusal(_ entry: DropBox.Entry, for definition: JobDefinition) -> (owner: String, reason: String)? {
        requestRefusal(entry, jobUserUID: definition.runAs?.uid) { request in
            OperatorAuthority.refusal(of: request, jobUserUID: definition.runAs?.uid, operators: definition.operators,
                                      daemonUID: UInt32(geteuid()))
        }
    }

    /// Why a request about an execution whose job's definition is gone does not count.
    func requestRefusalWithoutDefinition(_ entry: DropBox.Entry) -> (owner: String, reason: String)? {
        requestRefusal(entry, jobUserUID: nil) { OperatorAuthority.refusalWithoutDefinition(of: $0, daemonUID: UInt32(geteuid())) }
    }

    /// The rule `refusal` judges the opened file by (owner and kind from its `fstat`),
    /// after the directories on its way: a file in a directory someone else could have
    /// moved it into does not count for its owner. A regular file of one name from root,
    /// the daemon's user or `jobUserUID` counts without looking up names and groups.
    private func requestRefusal(_ entry: DropBox.Entry, jobUserUID: UInt32?,
                                refusal: (ApprovalAuthority.Marker) -> String?) -> (owner: String, reason: String)? {
        let info: stat
        switch entry {
        case .unavailable: return nil
        case .symlink(let link): info = link
        case .request(let request):
            info = request.info
            if let directory = request.directoryOpenToOthers(daemonUID: UInt32(geteuid())) {
                let owner = ApprovalAuthority.Marker(requestFile: info).ownerName
                return (owner, "it lies in \(directory)/, a directory someone besides its owner could have moved it into")
            }
            if request.isRegularFile, info.st_nlink == 1,
               OperatorAuthority.isAlwaysAllowed(ownerUID: info.st_uid, jobUserUID: jobUserUID, daemonUID: UInt32(geteuid())) {
                return nil
            }
        }
        let request = ApprovalAuthority.Marker(requestFile: info)
        return refusal(request).map { (request.ownerName, $0) }
    }
}
