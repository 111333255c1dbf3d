/// Who besides the daemon's user may read a job's state files (SPEC section 11): the
/// records, results and logs of a job are its user's and its operators'; a pending
/// approval request is its approvers'. Nobody else reads them: logs may hold secrets.
///
/// Users and groups are numbers, resolved from `operators:`/`approvers:` when the job is
/// loaded; a name the databases do not know adds nobody. The daemon's own user (and root)
/// read everything anyway and are left out.
package struct StateReaders: Sendable, Equatable {
    package var users: [UInt32]
    package var groups: [UInt32]

    package static let nobody = StateReaders(users: [], groups: [])

    package init(users: [UInt32], groups: [UInt32]) {
        self.users = Array(Set(users)).sorted()
        self.groups = Array(Set(groups)).sorted()
    }

    package var isEmpty: Bool { users.isEmpty && groups.isEmpty }

    /// The readers of the job's records, results and logs: the user it runs as and its operators.
    package static func ofRecords(_ definition: JobDefinition, daemonUID: UInt32) -> StateReaders {
        let owner = definition.runAs.map { [$0.uid] } ?? []
        return principals(definition.operators, plus: owner, daemonUID: daemonUID)
    }

    /// The readers of the job's pending approval requests: its listed approvers (none
    /// listed: the daemon's user or root, who read it anyway).
    package static func ofApprovals(_ definition: JobDefinition, daemonUID: UInt32) -> StateReaders {
        principals(definition.approval?.approvers ?? [], plus: [], daemonUID: daemonUID)
    }

    /// `names` (users and `@group`s) as numbers, with `plus`, without root and the daemon's user.
    static func principals(_ names: [String], plus: [UInt32], daemonUID: UInt32) -> StateReaders {
        var users = plus, groups: [UInt32] = []
        for name in names {
            if name.hasPrefix("@") {
                if let group = RunIdentity.group(named: String(name.dropFirst())) { groups.append(group.gid) }
            } else if let entry = RunIdentity.passwd(named: name) {
                users.append(entry.uid)
            }
        }
        return StateReaders(users: users.filter { $0 != 0 && $0 != daemonUID }, groups: groups)
    }
}
