import Cron
import Fleet
import Foundation

/// `jobdir status --fleet`: the fleet as etcd holds it, read with the endpoints and fleet
/// name this host's daemon wrote in `fleet.json`: the hosts with their labels and leases,
/// the claims held now (who runs what) and the recent done marks (who ran what).
struct FleetReport {
    struct Host {
        var name: String
        var labels: [String: String]
        var joinedAt: Date?
        var lease: String
        var ttlLeft: Int64?
    }

    struct Occurrence {
        var occurrence: String
        var host: String
        var state: String
        var execution: String
        var at: Date?
    }

    var fleet: String
    var hosts: [Host] = []
    var claims: [Occurrence] = []
    var done: [Occurrence] = []

    /// Reads the fleet; throws a one-line reason when etcd does not answer.
    init(view: FleetView, recent: Int = 20) throws {
        fleet = view.object["fleet"] as? String ?? "default"
        let endpoints = view.object["endpoints"] as? [String] ?? []
        guard !endpoints.isEmpty else { throw Console.failure("status", "fleet.json names no etcd endpoint") }
        let etcd = try BlockingEtcd(endpoints: endpoints)
        let keys = FleetKeyspace(fleet: fleet)
        func list(_ prefix: String) throws -> [EtcdKeyValue] {
            switch etcd.list(prefix: prefix) {
            case .success(let found): return found
            case .failure(let error): throw Console.failure("status", "etcd did not answer (\(error)); the fleet cannot be shown")
            }
        }
        for kv in try list(keys.hostsPrefix) {
            let object = Self.object(kv.value)
            let lease = object["lease"] as? String ?? String(kv.lease)
            hosts.append(Host(name: object["host"] as? String ?? String(kv.key.dropFirst(keys.hostsPrefix.count)),
                              labels: object["labels"] as? [String: String] ?? [:],
                              joinedAt: (object["joined_at"] as? String).flatMap(Timestamp.parse),
                              lease: String(Int64(lease) ?? kv.lease, radix: 16), ttlLeft: etcd.timeToLive(lease: kv.lease)))
        }
        hosts.sort { $0.name < $1.name }
        claims = try list(keys.claimsPrefix).map { kv in
            let object = Self.object(kv.value)
            return Occurrence(occurrence: String(kv.key.dropFirst(keys.claimsPrefix.count)), host: object["host"] as? String ?? "?",
                              state: (object["started"] as? Bool ?? false) ? "running" : "claimed",
                              execution: object["execution"] as? String ?? "", at: (object["claimed_at"] as? String).flatMap(Timestamp.parse))
        }.sorted { $0.occurrence < $1.occurrence }
        done = try list(keys.donePrefix).sorted { $0.modRevision > $1.modRevision }.prefix(recent).map { kv in
            let object = Self.object(kv.value)
            return Occurrence(occurrence: String(kv.key.dropFirst(keys.donePrefix.count)), host: object["host"] as? String ?? "?",
                              state: object["state"] as? String ?? "?", execution: object["execution"] as? String ?? "",
                              at: (object["finished_at"] as? String).flatMap(Timestamp.parse))
        }
    }

    static func object(_ value: [UInt8]) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(value))) as? [String: Any]) ?? [:]
    }

    func json() -> [String: Any] {
        func occurrence(_ entry: Occurrence) -> [String: Any] {
            ["occurrence": entry.occurrence, "host": entry.host, "state": entry.state, "execution": entry.execution,
             "at": entry.at.map(Timestamp.format) ?? NSNull()]
        }
        return [
            "fleet": fleet,
            "hosts": hosts.map { host -> [String: Any] in
                ["host": host.name, "labels": host.labels, "lease": host.lease, "lease_ttl_left_s": host.ttlLeft.map { Int($0) } ?? NSNull(),
                 "joined_at": host.joinedAt.map(Timestamp.format) ?? NSNull()]
            },
            "claims": claims.map(occurrence),
            "recent_done": done.map(occurrence),
        ]
    }

    func text(now: Date) -> String {
        var text = "fleet \(fleet): \(hosts.count) host\(hosts.count == 1 ? "" : "s")\n"
        func table(_ title: String, _ columns: [TableFormatter.Column], _ rows: [[String]]) {
            text += "\n\(title) (\(rows.count)):\n" + (rows.isEmpty ? "  none\n" : TableFormatter(columns: columns, indent: 2).render(rows))
        }
        table("hosts", [.init(title: "HOST"), .init(title: "LABELS"), .init(title: "LEASE"), .init(title: "LEASE AGE"), .init(title: "TTL LEFT")],
              hosts.map { host in
                  [host.name, host.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",").ifEmpty("-"),
                   host.lease, host.joinedAt.map { TimeText.between($0, now) } ?? "-", host.ttlLeft.map { "\($0)s" } ?? "expired"]
              })
        let columns: [TableFormatter.Column] = [.init(title: "OCCURRENCE"), .init(title: "HOST"), .init(title: "STATE"), .init(title: "EXECUTION")]
        table("held now", columns, claims.map { [$0.occurrence, $0.host, $0.state, $0.execution.ifEmpty("-")] })
        table("recently done", columns, done.map { [$0.occurrence, $0.host, $0.state, $0.execution.ifEmpty("-")] })
        return text
    }
}

extension String {
    fileprivate func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
