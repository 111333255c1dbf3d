/// `jobdir run --fleet URL,... [--fleet-name NAME] [--host NAME] [--host-label K=V]...`
/// (SPEC section 13): the etcd endpoints, the fleet's key prefix and this host's labels.
package struct FleetSettings: Sendable, Equatable {
    /// etcd client URLs (`http://10.0.0.1:2379`), tried in order; the next is tried when one fails.
    package var endpoints: [String]
    /// The fleet's name: every key lives under `/jobdir/<name>/`.
    package var name: String
    /// This host's labels, matched by jobs' `hosts:` selectors.
    package var labels: [String: String]
    /// The lease's time to live; renewed every third of it.
    package var leaseTTL: Duration = .seconds(10)
    /// How long before the lease could expire this host stops its `once` runs
    /// (self-fencing): 30 % of the TTL, 3 s of the default 10 s.
    package var fenceMargin: Duration { leaseTTL * 0.3 }

    package init(endpoints: [String], name: String = "default", labels: [String: String] = [:]) {
        self.endpoints = endpoints
        self.name = name
        self.labels = labels
    }
}
