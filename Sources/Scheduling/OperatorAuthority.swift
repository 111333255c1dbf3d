/// Who may trigger or cancel a job (SPEC section 11): a request file counts only if it
/// is a regular file, not a symlink, owned by root, the daemon's user, the user the job
/// runs as, or a user or `@group` member listed in the job's `operators`. Pure: the
/// caller looks up names and groups.
package enum OperatorAuthority {
    /// Root, the daemon's user and the job's own user may always make a request: their
    /// names and groups need not be looked up.
    package static func isAlwaysAllowed(ownerUID: UInt32, jobUserUID: UInt32?, daemonUID: UInt32) -> Bool {
        ownerUID == 0 || ownerUID == daemonUID || ownerUID == jobUserUID
    }

    /// Nil when the request counts; otherwise why it is refused.
    package static func refusal(of request: ApprovalAuthority.Marker, jobUserUID: UInt32?, operators: [String],
                                daemonUID: UInt32) -> String? {
        if request.isSymlink { return "a symlink does not count; create a regular file" }
        if !request.isRegularFile { return "not a regular file" }
        if isAlwaysAllowed(ownerUID: request.ownerUID, jobUserUID: jobUserUID, daemonUID: daemonUID) { return nil }
        for name in operators {
            if name.hasPrefix("@") {
                if request.ownerGroups.contains(String(name.dropFirst())) { return nil }
            } else if name == request.ownerName {
                return nil
            }
        }
        let listed = operators.isEmpty ? "the job lists no operators" : "operators: \(operators.joined(separator: ", "))"
        return "owned by \(request.ownerName), who is neither the job's user, root, nor one of its operators (\(listed))"
    }
}
