/// `limits:` of a job (SPEC section 11): applied to the command and its children
/// between fork and exec. Nil means the limit the daemon itself has.
package struct ResourceLimits: Sendable, Equatable {
    /// Address space in bytes (`RLIMIT_AS`).
    package var memory: Int?
    /// CPU seconds (`RLIMIT_CPU`); a fraction is rounded up to the next whole second.
    package var cpuTimeSeconds: Int?
    /// `RLIMIT_NOFILE`.
    package var openFiles: Int?
    /// `RLIMIT_NPROC`: processes of the run's user (the kernel counts all of that user's).
    package var processes: Int?
    /// Largest file the run may write, in bytes (`RLIMIT_FSIZE`).
    package var fileSize: Int?
    /// Largest core dump, in bytes; 0 means none (`RLIMIT_CORE`).
    package var core: Int?
    /// -20 (most favoured) to 19.
    package var nice: Int?
    package var io: IOPriority?

    package init() {}

    package var isEmpty: Bool { self == ResourceLimits() }
}

/// `limits.io`: the I/O scheduling class, as `ionice` names them.
package struct IOPriority: Sendable, Equatable {
    package enum Class: String, Sendable, CaseIterable {
        case idle
        case bestEffort = "best-effort"
        case realtime
    }

    package var `class`: Class
    /// 0 (highest) to 7; nil for `idle`, 4 when not written for the others.
    package var level: Int?

    package init(class: Class, level: Int?) {
        self.class = `class`
        self.level = level
    }

    /// `idle`, `best-effort`, `best-effort:N`, `realtime` or `realtime:N`.
    package var text: String { level.map { "\(`class`.rawValue):\($0)" } ?? `class`.rawValue }
}

/// A user or group named in a job file, with where it was written.
package struct NamedPrincipal: Sendable, Equatable {
    /// As written: a name, or a number (uid or gid).
    package var text: String
    package var mark: SourceMark
}
