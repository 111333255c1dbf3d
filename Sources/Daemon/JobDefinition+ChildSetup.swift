import Definitions
import Execution
import Glibc
import Scheduling

/// SPEC section 11 for one run: who it runs as, its limits and env files, all applied by
/// its supervisor in the command's child.
extension JobDefinition {
    /// The child's setup; `keeping` are the names env files may not set (those of `env`
    /// and the trigger's `--env`).
    func childSetup(keeping names: [String]) -> ChildSetup {
        var limits: [String: Int64] = [:]
        let values: [(String, Int?)] = [("memory", self.limits.memory), ("cpu_time", self.limits.cpuTimeSeconds),
                                        ("open_files", self.limits.openFiles), ("processes", self.limits.processes),
                                        ("file_size", self.limits.fileSize), ("core", self.limits.core)]
        for case let (name, value?) in values { limits[name] = Int64(value) }
        return ChildSetup(credentials: credentials, umask: umask, limits: limits, nice: self.limits.nice,
                          io: self.limits.io?.text, envFiles: envFiles,
                          envKeep: Array(Set(env.map(\.name) + names)))
    }

    /// A notifier's child (`notify.command`, `mail`): the run's user, groups and umask, as
    /// the job's own runs get them; no limits and no env files (it gets the daemon's
    /// environment, for `${VAR}` secrets a notifier may need).
    var notifierSetup: ChildSetup {
        ChildSetup(credentials: credentials, umask: umask)
    }

    /// The run's user and groups when the supervisor changes to them (the daemon is root).
    private var credentials: ChildSetup.Credentials? {
        runAs.flatMap { identity in
            identity.switches ? ChildSetup.Credentials(uid: identity.uid, gid: identity.gid, groups: identity.supplementaryGroups) : nil
        }
    }

    /// `HOME`, `USER`, `LOGNAME` and `SHELL` from the password database when the run
    /// changes user; nothing when the daemon runs the job as itself.
    var userEnvironment: [String: String] {
        guard let identity = runAs, identity.switches else { return [:] }
        return ["HOME": identity.home, "USER": identity.userName, "LOGNAME": identity.userName, "SHELL": identity.shell]
    }

    /// Whether runs start from `Daemon.minimalEnvironment` rather than the daemon's own:
    /// when they run as a user other than the daemon's, whose business the daemon's
    /// variables (credentials, agent sockets, its `PATH`) are not.
    var startsFromMinimalEnvironment: Bool {
        guard let identity = runAs, identity.switches else { return false }
        return identity.uid != UInt32(geteuid())
    }

    /// Whether `${VAR}` in `env` expands from the daemon's environment: only in files owned
    /// by root or the daemon's user. Another owner's `${VAR}` expands from the environment
    /// the run starts with (`PATH`, `LANG`, `TZ`, its own `HOME`, `USER`, `LOGNAME`,
    /// `SHELL`), so `${HOME}/bin:${PATH}` still works and nothing of the daemon's leaks.
    var expandsFromDaemonEnvironment: Bool {
        guard let owner = fileOwner else { return true }
        return owner == 0 || owner == UInt32(geteuid())
    }

    /// The record's `user`.
    var runUser: RunUser? {
        runAs.map { RunUser(name: $0.userName, uid: $0.uid, group: $0.groupName, gid: $0.gid) }
    }
}
