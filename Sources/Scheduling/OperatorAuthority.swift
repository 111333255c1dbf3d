/// Who may trigger or cancel a job (SPEC section 11): a request file counts only if it
/// is a regular file, not a symlink, with no other name, owned by root, the daemon's
/// user, the user the job runs as, or a user or `@group` member listed in the job's
/// `operators`. Pure: the caller looks up names and groups.
package enum OperatorAuthority {
    /// Root, the daemon's user and the job's own user may always make a request: their
    /// names and groups need not be looked up.
    package static func isAlwaysAllowed(ownerUID: UInt32, jobUserUID: UInt32?, daemonUID: UInt32) -> Bool {
        ownerUID == 0 || ownerUID == daemonUID || ownerUID == jobUserUID
    }

    /// Nil when the request counts; otherwise why it is refused.
    package static func refusal(of request: ApprovalAuthority.Marker, jobUserUID: UInt32?, operators: [String],
                                daemonUID: UInt32) -> String? {
        if let refusal = request.kindRefusal { return refusal }
        if isAlwaysAllowed(ownerUID: request.ownerUID, jobUserUID: jobUserUID, daemonUID: daemonUID) { return nil }
        if operators.contains(where: request.isNamed(by:)) { return nil }
        let listed = operators.isEmpty ? "the job lists no operators" : "operators: \(operators.joined(separator: ", "))"
        return "owned by \(request.ownerName), who is neither the job's user, root, nor one of its operators (\(listed))"
    }

    /// Nil when a request about an execution whose job's definition is gone counts: with
    /// no `operators` nor job user left to consult, only root and the daemon's user may.
    package static func refusalWithoutDefinition(of request: ApprovalAuthority.Marker, daemonUID: UInt32) -> String? {
        if let refusal = request.kindRefusal { return refusal }
        if request.ownerUID == 0 || request.ownerUID == daemonUID { return nil }
        return "owned by \(request.ownerName), who is neither root nor the daemon's user (the job's definition is gone)"
    }

    /// Whether a trigger request from `ownerUID` may set the run's environment: only root,
    /// the daemon's user and the user the job runs as, who could run anything as that user
    /// anyway. An operator may start the job as it is, not change what it runs
    /// (`LD_PRELOAD`, `BASH_ENV`, `PATH` would run the operator's code as the job's user).
    package static func maySetEnvironment(ownerUID: UInt32, jobUserUID: UInt32?, daemonUID: UInt32) -> Bool {
        isAlwaysAllowed(ownerUID: ownerUID, jobUserUID: jobUserUID, daemonUID: daemonUID)
    }

    /// Why a trigger request that sets env is refused from someone who may not set it.
    package static func environmentRefusal(jobUserName: String?) -> String {
        "sets env, which only root, the daemon's user and the job's user (\(jobUserName ?? "the daemon's user")) may; trigger it without env"
    }
}
