/// Where a fleet's keys live in etcd, all under `/jobdir/<fleet>/`:
///
/// - `hosts/<host>`: each host's labels, on its lease (gone when the host is).
/// - `claims/<occurrence>`: who runs an occurrence, on the claimer's lease; its
///   `create_revision` is the fencing token (`JOBDIR_FENCE`).
/// - `done/<occurrence>`: an occurrence that has ended (no lease): it is never claimed again.
/// - `running/<job>`: a `once` job's run in progress somewhere, on the lease (`overlap`).
package struct FleetKeyspace: Sendable, Equatable {
    package let root: String

    package init(fleet: String) { root = "/jobdir/\(fleet)/" }

    package var hostsPrefix: String { root + "hosts/" }
    package var claimsPrefix: String { root + "claims/" }
    package var donePrefix: String { root + "done/" }
    package var runningPrefix: String { root + "running/" }

    package func host(_ name: String) -> String { hostsPrefix + name }
    package func claim(_ occurrence: String) -> String { claimsPrefix + occurrence }
    package func done(_ occurrence: String) -> String { donePrefix + occurrence }
    package func running(_ job: String) -> String { runningPrefix + job }

    /// The occurrence a claim or done key names; nil for another key.
    package func occurrence(ofClaim key: String) -> String? {
        key.hasPrefix(claimsPrefix) ? String(key.dropFirst(claimsPrefix.count)) : nil
    }
}
