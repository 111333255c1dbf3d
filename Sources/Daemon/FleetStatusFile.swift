import Cron
import Fleet
import Foundation

/// `state/fleet.json` (`jobdir.fleet/v1`): this host's view of the fleet, for `jobdir
/// status`: its lease, whether etcd answers, the `once` occurrences waiting for it and why,
/// the claims it holds.
struct FleetStatusFile: Encodable {
    struct Waiting: Encodable {
        var occurrence: String
        var job: String
        var since: String
        var reason: String
    }

    /// A done mark etcd did not answer for (`FleetMember.owedFinishList`); `value` is its JSON text.
    struct OwedFinish: Codable {
        var occurrence: String
        var fence: Int64
        var value: String
        var runningKey: String?

        enum CodingKeys: String, CodingKey {
            case occurrence, fence, value
            case runningKey = "running_key"
        }
    }

    var schema = "jobdir.fleet/v1"
    var fleet: String
    var host: String
    var labels: [String: String]
    var endpoints: [String]
    var phase: String
    var lease: String?
    var leaseTTLSeconds: Int64
    var renewedAt: String?
    var joinedAt: String?
    var unreachableSince: String?
    var error: String?
    var fencedAt: String?
    var fencings: Int
    var waiting: [Waiting]
    var held: [String: Int64]
    var owedFinishes: [OwedFinish]
    var writtenAt: String

    init(_ book: FleetBook, host: String) {
        let member = book.standing
        fleet = book.settings.name
        self.host = host
        labels = book.settings.labels
        endpoints = book.settings.endpoints
        phase = member.phase.rawValue
        lease = member.lease == 0 ? nil : String(member.lease, radix: 16)
        leaseTTLSeconds = member.ttlSeconds
        renewedAt = member.renewedAt.map(Timestamp.format)
        joinedAt = member.joinedAt.map(Timestamp.format)
        unreachableSince = member.unreachableSince.map(Timestamp.format)
        error = member.lastError
        fencedAt = member.fencedAt.map(Timestamp.format)
        fencings = member.fencings
        waiting = book.waiting.values.sorted { $0.occurrence.rawValue < $1.occurrence.rawValue }
            .map { Waiting(occurrence: $0.occurrence.rawValue, job: $0.job.rawValue, since: Timestamp.format($0.since), reason: $0.reason) }
        held = Dictionary(uniqueKeysWithValues: book.held.map { ($0.key.rawValue, $0.value.fence) })
        owedFinishes = book.owedFinishList.map {
            OwedFinish(occurrence: $0.occurrence, fence: $0.fence, value: String(decoding: $0.value, as: UTF8.self), runningKey: $0.runningKey)
        }
        writtenAt = Timestamp.format(Date())
    }

    enum CodingKeys: String, CodingKey {
        case schema, fleet, host, labels, endpoints, phase, lease, fencings, waiting, held, error
        case leaseTTLSeconds = "lease_ttl_s", renewedAt = "renewed_at", joinedAt = "joined_at"
        case unreachableSince = "unreachable_since", fencedAt = "fenced_at", writtenAt = "written_at", owedFinishes = "owed_finishes"
    }
}
