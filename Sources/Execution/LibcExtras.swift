import Glibc

/// glibc functions and constants that Swift's Glibc module does not expose (they sit
/// behind `_GNU_SOURCE`): looked up once with `dlsym`, with their C signatures.
enum LibcExtras {
    /// `POSIX_SPAWN_SETSID` from <spawn.h> (glibc ≥ 2.26).
    static let spawnSetSID: Int16 = 0x80
    /// `PR_SET_CHILD_SUBREAPER` from <linux/prctl.h>.
    static let prSetChildSubreaper: Int32 = 36

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: type)
    }

    private static let pipe2Function = symbol("pipe2", as: Pipe2.self)
    private static let addChdirFunction = symbol("posix_spawn_file_actions_addchdir_np", as: AddChdir.self)
    private static let addCloseFromFunction = symbol("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self)
    private static let prctlFunction = symbol("prctl", as: Prctl.self)

    private typealias PidfdOpen = @convention(c) (Int32, UInt32) -> Int32
    private typealias PidfdSendSignal = @convention(c) (Int32, Int32, UnsafeMutableRawPointer?, UInt32) -> Int32
    private static let pidfdOpenFunction = symbol("pidfd_open", as: PidfdOpen.self)
    private static let pidfdSendSignalFunction = symbol("pidfd_send_signal", as: PidfdSendSignal.self)

    /// `pidfd_open(2)` (glibc ≥ 2.36, Linux ≥ 5.3); -1 with errno set on failure.
    static func pidfdOpen(_ pid: Int32) -> Int32 {
        guard let f = pidfdOpenFunction else { errno = ENOSYS; return -1 }
        return f(pid, 0)
    }

    /// `pidfd_send_signal(2)`: a signal that cannot reach a reused pid.
    static func pidfdSendSignal(_ fd: Int32, _ signal: Int32) -> Int32 {
        guard let f = pidfdSendSignalFunction else { errno = ENOSYS; return -1 }
        return f(fd, signal, nil, 0)
    }

    static func pipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32 {
        guard let f = pipe2Function else { errno = ENOSYS; return -1 }
        return f(fds, flags)
    }

    /// Returns an errno (0 on success), like the posix_spawn family.
    static func addChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: String) -> Int32 {
        guard let f = addChdirFunction else { return ENOSYS }
        return path.withCString { f(actions, $0) }
    }

    /// Whether the child can be told to close every descriptor from 3 up (glibc ≥ 2.34).
    static var canCloseFrom: Bool { addCloseFromFunction != nil }

    static func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32 {
        guard let f = addCloseFromFunction else { return ENOSYS }
        return f(actions, lowest)
    }

    /// Makes this process the reaper of its orphaned descendants.
    static func becomeChildSubreaper() -> Bool {
        guard let f = prctlFunction else { return false }
        return f(prSetChildSubreaper, 1, 0, 0, 0) == 0
    }

    /// Spawn attributes for a child in a session of its own, with an empty signal mask
    /// and every signal at its default disposition (nothing of ours leaks into it).
    static func startsNewSession(_ attributes: inout posix_spawnattr_t) {
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, spawnSetSID | Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    }
}
