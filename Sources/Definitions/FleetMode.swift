/// `fleet:` (SPEC section 13): how the hosts of a fleet share a job's occurrences.
package enum FleetMode: String, Sendable, CaseIterable {
    /// Each occurrence runs on exactly one healthy host (the default in fleet mode).
    case once
    /// Each host runs every occurrence, as without a fleet.
    case every
}

extension JobDefinition {
    /// The mode a fleet applies: `once` unless the file says `every`.
    package var fleetMode: FleetMode { fleet ?? .once }

    /// Whether a host with `labels` may run the job (its `hosts:` selector holds).
    package func mayRun(onHostLabelled labels: [String: String]) -> Bool {
        hosts.allSatisfy { labels[$0.key] == $0.value }
    }
}
