import Definitions

/// SPEC section 11: the daemon watches and hashes `watch` paths only where the job's user
/// may read them, so a job cannot learn through its trigger what its user cannot see.
extension Daemon {
    /// The patterns whose directory the job's user may list; the others are logged and dropped.
    func readablePatterns(_ patterns: [WatchPattern], of definition: JobDefinition) -> [WatchPattern] {
        guard let user = definition.runAs else { return patterns }
        return patterns.filter { pattern in
            if user.mayList(pattern.directory) { return true }
            log.event("watch_refused", ["job": definition.id.rawValue, "directory": pattern.directory,
                                        "reason": "\(user.userName) may not read it; it is not watched for this job"])
            return false
        }
    }
}
