import Glibc

/// Who a job runs as (SPEC section 11). When the daemon is root, a job runs as its
/// file's owner; a root-owned file may name any `user:` and `group:`, a file owned by
/// someone else only its owner and a group the owner belongs to. A daemon that is not
/// root runs every job as itself, and refuses a `user:` or `group:` naming anyone else.
package enum JobOwnership {
    /// The identity of `definition`'s runs, or the problems with `user:`/`group:`, each at
    /// its position. `fileOwner` is the job file's owner; `daemonUID` the daemon's user.
    package static func resolve(_ definition: JobDefinition, fileOwner: UInt32, start: SourceMark,
                                accounts: AccountLookup = AccountLookup(), daemonUID: UInt32 = UInt32(geteuid()), daemonGID: UInt32 = UInt32(getegid())) -> Result<RunIdentity, Diagnostics> {
        var problems: [Diagnostic] = []
        let asRoot = daemonUID == 0
        var user: PasswdEntry?
        if let named = definition.user {
            if let entry = accounts.passwd(named: named.text) {
                if asRoot && fileOwner != 0 && entry.uid != fileOwner {
                    let owner = accounts.passwd(uid: fileOwner)?.name ?? "uid \(fileOwner)"
                    problems.append(Diagnostic("`user: \(named.text)`: this file is owned by \(owner), so it may only run as \(owner); only a root-owned file may name another user", at: named.mark))
                } else if !asRoot && entry.uid != daemonUID {
                    let me = accounts.passwd(uid: daemonUID)?.name ?? "uid \(daemonUID)"
                    problems.append(Diagnostic("`user: \(named.text)`: the daemon runs as \(me), not root, so it runs every job as \(me); remove `user:` or run the daemon as root", at: named.mark))
                } else {
                    user = entry
                }
            } else {
                problems.append(Diagnostic("`user: \(named.text)`: no such user in the password database", at: named.mark))
            }
        } else {
            let uid = asRoot ? fileOwner : daemonUID
            user = accounts.passwd(uid: uid)
            if user == nil && !asRoot {
                // A daemon without a password entry (a container's arbitrary uid) runs jobs as it is.
                let home = getenv("HOME").map { String(cString: $0) } ?? "/"
                user = PasswdEntry(name: "\(uid)", uid: uid, gid: daemonGID, home: home, shell: "/bin/sh")
            }
            if user == nil {
                problems.append(Diagnostic("the job would run as uid \(uid), which has no entry in the password database (no HOME, no groups); name a `user:` or chown the file", at: start))
            }
        }
        var gid = asRoot ? user?.gid : daemonGID
        var groupName = gid.map(accounts.groupName)
        if let named = definition.group {
            if let group = accounts.group(named: named.text) {
                let member = user.map { $0.gid == group.gid || group.members.contains($0.name) } ?? true
                if !asRoot && group.gid != daemonGID {
                    problems.append(Diagnostic("`group: \(named.text)`: the daemon is not root and runs every job with its own group \(accounts.groupName(daemonGID)); remove `group:` or run the daemon as root", at: named.mark))
                } else if asRoot && fileOwner != 0 && !member {
                    problems.append(Diagnostic("`group: \(named.text)`: \(user?.name ?? "the owner") is not a member of it; only a root-owned file may name any group", at: named.mark))
                } else {
                    gid = group.gid
                    groupName = group.name
                }
            } else {
                problems.append(Diagnostic("`group: \(named.text)`: no such group in the group database", at: named.mark))
            }
        }
        guard problems.isEmpty, let user, let gid, let groupName else { return .failure(Diagnostics(problems)) }
        return .success(RunIdentity(uid: user.uid, gid: gid, userName: user.name, groupName: groupName,
                                    home: user.home, shell: user.shell, switches: asRoot))
    }
}
