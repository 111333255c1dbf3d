import Glibc

/// The user and group a job's runs have, from the password and group databases.
package struct RunIdentity: Sendable, Equatable {
    package var uid: UInt32
    package var gid: UInt32
    package var userName: String
    /// The group's name, or its number when the group database has none.
    package var groupName: String
    package var home: String
    package var shell: String
    /// Whether the run's supervisor changes to this identity (the daemon is root); false
    /// when the daemon runs every job as itself.
    package var switches: Bool

    /// The password database's entry for a user name or a number.
    package static func passwd(named text: String) -> PasswdEntry? {
        if let uid = UInt32(text) { return passwd(uid: uid) }
        return PasswdEntry(getpwnam(text))
    }

    package static func passwd(uid: UInt32) -> PasswdEntry? { PasswdEntry(getpwuid(uid_t(uid))) }

    /// A line of the group database: its id, name and listed members.
    package typealias Group = (gid: UInt32, name: String, members: [String])

    /// The group's gid and name, for a name or a number.
    package static func group(named text: String) -> Group? {
        let entry = UInt32(text).map { getgrgid(gid_t($0)) } ?? getgrnam(text)
        guard let entry else { return UInt32(text).map { ($0, text, []) } }
        var members: [String] = []
        var cursor = entry.pointee.gr_mem
        while let member = cursor?.pointee {
            members.append(String(cString: member))
            cursor = cursor?.advanced(by: 1)
        }
        return (UInt32(entry.pointee.gr_gid), String(cString: entry.pointee.gr_name), members)
    }

    /// The name of a group id, or the number.
    package static func groupName(_ gid: UInt32) -> String {
        guard let entry = getgrgid(gid_t(gid)) else { return "\(gid)" }
        return String(cString: entry.pointee.gr_name)
    }
}

/// One line of the password database.
package struct PasswdEntry: Sendable, Equatable {
    package var name: String
    package var uid: UInt32
    package var gid: UInt32
    package var home: String
    package var shell: String

    package init(name: String, uid: UInt32, gid: UInt32, home: String, shell: String) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.home = home
        self.shell = shell
    }

    init?(_ entry: UnsafeMutablePointer<passwd>?) {
        guard let entry else { return nil }
        name = String(cString: entry.pointee.pw_name)
        uid = UInt32(entry.pointee.pw_uid)
        gid = UInt32(entry.pointee.pw_gid)
        home = entry.pointee.pw_dir.map { String(cString: $0) } ?? "/"
        let shell = entry.pointee.pw_shell.map { String(cString: $0) } ?? ""
        self.shell = shell.isEmpty ? "/bin/sh" : shell
    }
}

extension RunIdentity {
    /// The user's groups as `initgroups` would set them: `gid` and every group listing the user.
    package var supplementaryGroups: [UInt32] {
        var count: Int32 = 64
        for _ in 0..<4 {
            var groups = [gid_t](repeating: 0, count: Int(count))
            if getgrouplist(userName, gid_t(gid), &groups, &count) >= 0 {
                return groups[0..<Int(count)].map { UInt32($0) }
            }
        }
        return [gid]
    }
}

extension RunIdentity {
    /// The names of every group `user` belongs to (primary and supplementary).
    package static func groupNames(of user: PasswdEntry) -> Set<String> {
        Set(groupIDs(of: user).map(groupName))
    }

    /// The ids of every group `user` belongs to (primary and supplementary).
    package static func groupIDs(of user: PasswdEntry) -> Set<UInt32> {
        let identity = RunIdentity(uid: user.uid, gid: user.gid, userName: user.name, groupName: "", home: user.home,
                                   shell: user.shell, switches: false)
        return Set(identity.supplementaryGroups)
    }
}
