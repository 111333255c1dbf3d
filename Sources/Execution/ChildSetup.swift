/// What the supervisor does in the command's child between fork and exec (SPEC section
/// 11): who it runs as, its umask and limits, and the env files it reads with that
/// user's rights. Only `SupervisorLauncher` applies it; the in-process `ProcessRunner`
/// runs commands as the caller.
package struct ChildSetup: Hashable, Sendable {
    package struct Credentials: Hashable, Sendable {
        package var uid: UInt32
        package var gid: UInt32
        /// Supplementary groups, looked up by the daemon (the static supervisor has no NSS).
        package var groups: [UInt32]

        package init(uid: UInt32, gid: UInt32, groups: [UInt32]) {
            self.uid = uid
            self.gid = gid
            self.groups = groups
        }
    }

    /// Nil keeps the supervisor's own (a daemon that is not root).
    package var credentials: Credentials?
    package var umask: UInt32?
    /// `memory`, `cpu_time` (seconds), `open_files`, `processes`, `file_size`, `core` (bytes).
    package var limits: [String: Int64]
    package var nice: Int?
    /// `idle`, `best-effort[:N]`, `realtime[:N]`.
    package var io: String?
    /// Read in the child, as the run's user, in order.
    package var envFiles: [String]
    /// Names an env file may not set (those of `env` and the trigger's `--env`).
    package var envKeep: [String]

    package init(credentials: Credentials? = nil, umask: UInt32? = nil, limits: [String: Int64] = [:], nice: Int? = nil,
                 io: String? = nil, envFiles: [String] = [], envKeep: [String] = []) {
        self.credentials = credentials
        self.umask = umask
        self.limits = limits
        self.nice = nice
        self.io = io
        self.envFiles = envFiles
        self.envKeep = envKeep
    }

    /// The supervisor options (see `SupervisorInvocation`).
    var arguments: [String] {
        var arguments: [String] = []
        if let credentials {
            arguments += ["--uid", String(credentials.uid), "--gid", String(credentials.gid),
                          "--groups", credentials.groups.map(String.init).joined(separator: ",")]
        }
        if let umask { arguments += ["--umask", String(umask, radix: 8)] }
        for (name, value) in limits.sorted(by: { $0.key < $1.key }) { arguments += ["--limit", "\(name)=\(value)"] }
        if let nice { arguments += ["--nice", String(nice)] }
        if let io { arguments += ["--io", io] }
        for file in envFiles { arguments += ["--env-file", file] }
        for name in envKeep.sorted() { arguments += ["--env-keep", name] }
        return arguments
    }
}
