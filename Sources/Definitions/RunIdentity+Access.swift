import Glibc

/// Whether a run's user may reach a path, judged from modes, owners and the user's groups
/// as the kernel would for that user (POSIX ACLs are not looked at). The daemon (root)
/// asks this before it watches or hashes a path on a job's behalf (SPEC section 11).
///
/// A path is judged by its real path (`realpath`, every symlink resolved), component by
/// component: a symlink the user made cannot lead past a directory the user may not
/// search, whatever directory or file it points to.
extension RunIdentity {
    /// The user may list `directory` (search every directory down to it, read it).
    package func mayList(_ directory: String) -> Bool {
        guard switches, uid != 0 else { return true }
        guard let real = Self.realPath(directory) else { return false }
        let groups = Set(supplementaryGroups)
        return maySearch(down: real, includingLast: true, groups) && allows(real, bit: 4, groups)
    }

    /// The user may read `file` (search every directory down to it, read the file).
    package func mayRead(_ file: String) -> Bool {
        readablePath(file) != nil
    }

    /// The path to read `file` by on this user's behalf, or nil when the user may not read
    /// it: its real path when the run switches user (to be opened with `O_NOFOLLOW`, so a
    /// symlink put there after this check is not followed), `file` itself otherwise.
    package func readablePath(_ file: String) -> String? {
        guard switches, uid != 0 else { return file }
        guard let real = Self.realPath(file) else { return nil }
        let groups = Set(supplementaryGroups)
        return maySearch(down: real, includingLast: false, groups) && allows(real, bit: 4, groups) ? real : nil
    }

    /// `path` with every symlink resolved, or nil when some part of it does not exist.
    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private func maySearch(down path: String, includingLast: Bool, _ groups: Set<UInt32>) -> Bool {
        var prefix = ""
        let parts = path.split(separator: "/")
        for (index, part) in parts.enumerated() where includingLast || index < parts.count - 1 {
            prefix += "/" + part
            if !allows(prefix, bit: 1, groups) { return false }
        }
        return allows("/", bit: 1, groups)
    }

    /// Whether the user has permission `bit` (4 read, 2 write, 1 search/execute) on `path`.
    private func allows(_ path: String, bit: mode_t, _ groups: Set<UInt32>) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return false }
        let mode = info.st_mode
        if UInt32(info.st_uid) == uid { return mode & (bit << 6) != 0 }
        if groups.contains(UInt32(info.st_gid)) { return mode & (bit << 3) != 0 }
        return mode & bit != 0
    }
}
