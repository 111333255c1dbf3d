import Foundation
import HTTP

/// This host in a fleet (SPEC section 13): its lease (granted, renewed every third of its
/// TTL, given up past the `LeaseClock` deadline: self-fencing, then a new lease), its host
/// key with its labels, the claims it makes and ends, and a watch of the fleet's claims
/// whose deletions it reports (another host's claim gone without a done mark may be taken
/// over). Everything happens on the caller's loop: calls answer through `EtcdClient`'s
/// completions, and the caller asks `nextWake` when to call `tick` again.
package final class FleetMember {
    package enum Phase: String, Sendable {
        /// No lease yet (starting, or etcd has not answered).
        case joining
        /// A lease renewed in time: claims may be made.
        case member
        /// The lease was given up past its deadline; a new one is being asked for.
        case fenced
    }

    /// What the daemon hears from its member.
    package enum Event {
        /// A lease is held (first join or rejoin): claims may be made; waiting ones should be tried.
        case joined(lease: Int64)
        /// The lease could not be renewed in time: `once` runs must stop.
        case fenced(reason: String)
        /// A claim key was deleted (ended by its holder, or its lease expired); `previous` is its last value.
        case claimDeleted(occurrence: String, previous: EtcdKeyValue)
        /// A job's running key was deleted (its run across the fleet ended): queued ones may go.
        case runningEnded(job: String)
        /// etcd answered again after failures, or stopped answering.
        case reachability(changed: Bool)
    }

    package enum ClaimAnswer: Equatable {
        /// This host holds the claim; `fence` is the claim key's create revision.
        case won(fence: Int64)
        /// Another host holds it, or it is done: this host does not run it.
        case lost(holder: String, done: Bool)
        /// Free, but the job's running key (`overlap` across the fleet) is held by `holder`.
        case busy(holder: String)
        /// No answer from etcd (or no lease): the occurrence must wait.
        case unavailable(reason: String)
    }

    package let keyspace: FleetKeyspace
    package let host: String
    package let labels: [String: String]
    private let client: EtcdClient
    private let monotonicNow: () -> UInt64
    private let onEvent: (Event) -> Void
    private let log: (String, [String: String]) -> Void

    package private(set) var phase: Phase = .joining
    package private(set) var lease: Int64 = 0
    package private(set) var clock: LeaseClock
    /// Wall time of the last acknowledged renewal, for `status`.
    package private(set) var renewedAt: Date?
    package private(set) var joinedAt: Date?
    /// Since when etcd has not answered, and why; nil while it answers.
    package private(set) var unreachableSince: Date?
    package private(set) var lastError: String?
    package private(set) var fencedAt: Date?
    package private(set) var fencings = 0

    /// Where runs' supervisors read the lease's deadline; nil to write none.
    package let fenceFile: FenceFile?
    private var granting = false
    private var leaving = false
    private var renewing = false
    private var grantRetryAt: UInt64 = 0
    private var watchRequest: EtcdWatchHandle?
    private var watchRetryAt: UInt64?
    private var watchedRevision: Int64 = 0
    /// Every claim of the fleet as last listed or watched: a claim gone from a listing
    /// without its deletion having been seen is reported as deleted (watch events are hints).
    private var knownClaims: [String: EtcdKeyValue] = [:]
    private var relistAt: UInt64?
    private var relisting = false
    /// Done marks not yet written (etcd did not answer): occurrence → (fence, value).
    private var owedFinishes: [String: (fence: Int64, value: [UInt8], runningKey: String?)] = [:]
    /// When done marks and claim updates etcd did not take are sent again (a second after a
    /// failure; sooner when etcd answers another call, and at each renewal).
    private var owedRetryAt: UInt64?
    /// Leases this host gave up (fenced) that etcd may still hold, with the claims and
    /// running keys on them: revoked once a new lease is held and no done mark is owed, so
    /// others need not wait for them to expire (a new leader gives them their full TTL again).
    private var abandonedLeases: Set<Int64> = []
    private var revoking = false
    /// The lease `joined` is to be announced for once the revocations under way are answered.
    private var announceJoin: Int64?
    private var finishing: Set<String> = []
    /// Claim values not yet known written (`update`): occurrence → the latest one, with its
    /// claim's fence and lease; `serial` tells a value set while another was on its way.
    private var owedUpdates: [String: (fence: Int64, lease: Int64, value: [UInt8], serial: Int)] = [:]
    private var updateSerial = 0
    /// Occurrences with an update on its way: one at a time each, so they land in order.
    private var updating: Set<String> = []
    /// Each claim's mod revision as last written or read here, compared by its next update:
    /// a late copy of an earlier update (`EtcdClient` sends copies to other endpoints)
    /// cannot land over a later value.
    private var claimRevisions: [String: Int64] = [:]

    package init(fleet: String, host: String, labels: [String: String], client: EtcdClient, ttl: Duration, margin: Duration,
                 fenceFile: FenceFile? = nil, monotonicNow: @escaping () -> UInt64, log: @escaping (String, [String: String]) -> Void,
                 onEvent: @escaping (Event) -> Void) {
        keyspace = FleetKeyspace(fleet: fleet)
        self.fenceFile = fenceFile
        self.host = host
        self.labels = labels
        self.client = client
        self.monotonicNow = monotonicNow
        self.log = log
        self.onEvent = onEvent
        clock = LeaseClock(ttlNanoseconds: Self.nanoseconds(ttl), marginNanoseconds: Self.nanoseconds(margin))
    }

    /// What `status` shows of this member, read at once.
    package struct Standing: Sendable {
        package var phase: Phase
        /// The lease held now; 0 for none.
        package var lease: Int64
        package var ttlSeconds: Int64
        package var renewedAt: Date?
        package var joinedAt: Date?
        package var unreachableSince: Date?
        package var lastError: String?
        package var fencedAt: Date?
        package var fencings: Int
    }

    package var standing: Standing {
        Standing(phase: phase, lease: lease, ttlSeconds: Int64(clock.ttl / 1_000_000_000), renewedAt: renewedAt, joinedAt: joinedAt,
                 unreachableSince: unreachableSince, lastError: lastError, fencedAt: fencedAt, fencings: fencings)
    }

    /// Whether claims can be made now: a lease held and its deadline not past (a host resumed
    /// after a pause may not have ticked yet to fence itself).
    package var mayClaim: Bool { phase == .member && lease != 0 && !clock.isPastDeadline(at: monotonicNow()) }

    /// Why claims cannot be made now; nil when they can.
    package var waitReason: String? {
        if mayClaim { return nil }
        let why = lastError.map { ": \($0)" } ?? ""
        switch phase {
        case .member where lease != 0: return "this host's fleet lease is past its deadline (not renewed in time)\(why)"
        case .fenced: return "this host gave up its fleet lease (not renewed in time) and is rejoining\(why)"
        default: return "waiting for etcd (no fleet lease yet)\(why)"
        }
    }

    /// The earliest monotonic instant `tick` has something to do.
    package var nextWake: UInt64? {
        var times: [UInt64] = client.nextWake.map { [$0] } ?? []
        if lease != 0 {
            if let deadline = clock.deadline { times.append(deadline) }
            if !renewing, let due = clock.renewDue { times.append(due) }
            if watchRequest == nil, let retry = watchRetryAt { times.append(retry) }
            if !relisting, let relist = relistAt { times.append(relist) }
            if let retry = owedRetryAt, !owedFinishes.isEmpty || !owedUpdates.isEmpty { times.append(retry) }
        } else if !granting {
            times.append(grantRetryAt)
        }
        return times.min()
    }

    /// Does what is due: copies of calls not yet answered, fencing past the deadline,
    /// renewing, rejoining, watching again.
    package func tick() {
        client.tick()
        let now = monotonicNow()
        guard !leaving else { return }
        if lease != 0 && clock.isPastDeadline(at: now) { fence(now: now) }
        if lease == 0 {
            if !granting && now >= grantRetryAt { grant() }
            return
        }
        if !renewing, let due = clock.renewDue, now >= due { renew() }
        if watchRequest == nil, let retry = watchRetryAt, now >= retry { startWatch() }
        if !relisting, let relist = relistAt, now >= relist { relistClaims() }
        revokeAbandonedIfDue()
        if let retry = owedRetryAt, now >= retry {
            owedRetryAt = nil
            retryOwed()
        }
    }

    /// Fences now if the lease is past its deadline and `tick` has not run since (the host
    /// was paused): what the caller does next sees the lease given up. True if it fenced.
    @discardableResult
    package func fenceIfPastDeadline() -> Bool {
        let now = monotonicNow()
        guard lease != 0, !leaving, clock.isPastDeadline(at: now) else { return false }
        fence(now: now)
        return true
    }

    // MARK: - Lease

    /// Starts: renews `previous` (the lease the daemon before this one held, e.g. across a
    /// restart with `--on-stop detach`, whose runs still go on under its claims) if etcd
    /// still has it, else asks for a new lease. A previous lease that is gone is reported
    /// as `fenced` (its runs must stop), without counting as this host fencing itself.
    package func start(adopting previous: Int64?) {
        guard let previous, previous != 0 else { return tick() }
        granting = true
        let sentAt = monotonicNow()
        client.call("/v3/lease/keepalive", body: EtcdRequests.keepAlive(lease: previous)) { [weak self] answer in
            guard let self else { return }
            self.granting = false
            if case .success(let object) = answer, EtcdResponses.keepAliveTTL(object) > 0 {
                self.answered()
                let revision = EtcdResponses.revision(object["result"] as? [String: Any] ?? object)
                self.joined(lease: previous, sentAt: sentAt, revision: revision, adopted: true)
            } else {
                if case .failure(let error) = answer { self.failed(error) }
                self.log("fleet_lease_not_adopted", ["lease": String(previous, radix: 16), "reason": "etcd no longer has it"])
                self.fenceFile?.remove(lease: previous)
                self.onEvent(.fenced(reason: "the lease of the daemon before this one (\(String(previous, radix: 16))) is gone"))
                self.grantRetryAt = 0
                self.tick()
            }
        }
    }

    private func joined(lease id: Int64, sentAt: UInt64, revision: Int64, adopted: Bool) {
        lease = id
        clock.acknowledged(sentAt: sentAt)
        clock.sent(at: sentAt)
        writeDeadline()
        renewedAt = Date()
        joinedAt = Date()
        phase = .member
        log(adopted ? "fleet_lease_adopted" : "fleet_joined", ["lease": String(id, radix: 16), "ttl": "\(clock.ttl / 1_000_000_000)s", "endpoint": client.currentEndpoint])
        putHostKey()
        if watchedRevision == 0 { watchedRevision = revision }
        watchRetryAt = 0
        startWatch()
        // Claims are asked for once the leases given up before are revoked: their running
        // keys would otherwise make the first occurrences look busy until they expire.
        announceJoin = id
        revokeAbandonedIfDue()
        if !revoking { announceJoined() }
    }

    private func announceJoined() {
        guard let id = announceJoin, id == lease else { return }
        announceJoin = nil
        onEvent(.joined(lease: id))
    }

    private func grant() {
        granting = true
        let sentAt = monotonicNow()
        let ttlSeconds = Int64(clock.ttl / 1_000_000_000)
        client.call("/v3/lease/grant", body: EtcdRequests.grant(ttlSeconds: ttlSeconds), idempotent: false) { [weak self] answer in
            guard let self else { return }
            self.granting = false
            let granted = answer.flatMap { object -> Result<(id: Int64, ttl: Int64, revision: Int64), EtcdError> in
                guard let grant = EtcdResponses.grant(object) else { return .failure(EtcdError(message: "a grant without an ID")) }
                return .success((grant.id, grant.ttl, EtcdResponses.revision(object)))
            }
            switch granted {
            case .failure(let error):
                self.failed(error)
                self.grantRetryAt = self.monotonicNow() + 1_000_000_000
            case .success(let (id, ttl, revision)):
                self.answered()
                if ttl * 1_000_000_000 < Int64(self.clock.ttl) { self.log("fleet_lease_short", ["ttl": "\(ttl)s"]) }
                self.joined(lease: id, sentAt: sentAt, revision: revision, adopted: false)
            }
        }
    }

    private func putHostKey() {
        let value = Self.json(["host": host, "labels": labels, "joined_at": Self.wallTime(Date()), "lease": String(lease)])
        client.call("/v3/kv/put", body: EtcdRequests.put(key: keyspace.host(host), value: value, lease: lease)) { [weak self] answer in
            if case .failure(let error) = answer { self?.failed(error) }
        }
    }

    private func renew() {
        renewing = true
        let sentAt = monotonicNow()
        let renewedLease = lease
        clock.sent(at: sentAt)
        client.call("/v3/lease/keepalive", body: EtcdRequests.keepAlive(lease: lease)) { [weak self] answer in
            guard let self else { return }
            self.renewing = false
            guard self.lease == renewedLease else { return }
            switch answer {
            case .failure(let error):
                self.failed(error)
                // Sooner than a third of the TTL: a second chance before the deadline.
                let interval = self.clock.renewInterval, now = self.monotonicNow()
                self.clock.sent(at: now + 1_000_000_000 > interval ? now + 1_000_000_000 - interval : 0)
            case .success(let object):
                self.answered()
                if EtcdResponses.keepAliveTTL(object) > 0 {
                    self.clock.acknowledged(sentAt: sentAt)
                    self.writeDeadline()
                    self.renewedAt = Date()
                    self.retryOwed()
                } else {
                    self.fence(now: self.monotonicNow(), reason: "etcd says the lease is gone (expired or revoked)")
                }
            }
        }
    }

    /// Gives the lease up: nothing runs on it any more; a new one is asked for at once.
    private func fence(now: UInt64, reason: String? = nil) {
        let why = reason ?? "the lease was not renewed in time (last acknowledged renewal \(renewedAt.map(Self.wallTime) ?? "never"))"
        log("fleet_fenced", ["lease": String(lease, radix: 16), "reason": why])
        fenceFile?.remove(lease: lease)
        abandonedLeases.insert(lease)
        lease = 0
        clock.lost()
        phase = .fenced
        fencedAt = Date()
        fencings += 1
        // The claims go with the lease: their values are nobody's to update any more.
        owedUpdates = [:]
        claimRevisions = [:]
        grantRetryAt = now
        if let request = watchRequest?.request { client.cancel(request) }
        watchRequest = nil
        onEvent(.fenced(reason: why))
    }

    /// Revokes a lease given up before, once a new one is held and no done mark is owed
    /// (one owed may still land on the old claim): its claims and running keys go now.
    private func revokeAbandonedIfDue() {
        guard lease != 0, !revoking, owedFinishes.isEmpty, let abandoned = abandonedLeases.min() else { return }
        revoking = true
        client.call("/v3/lease/revoke", body: EtcdRequests.revoke(lease: abandoned)) { [weak self] answer in
            guard let self else { return }
            self.revoking = false
            // Revoked, or already gone (etcd answers NotFound): either way nothing is left on it.
            if case .success = answer {
                self.abandonedLeases.remove(abandoned)
                self.log("fleet_lease_revoked", ["lease": String(abandoned, radix: 16), "note": "given up before; its claims go now"])
                self.revokeAbandonedIfDue()
            }
            if !self.revoking { self.announceJoined() }
        }
    }

    /// Ends the lease on a clean stop, so others need not wait for it to expire: true once
    /// it is gone (or etcd could not be told); call again until then.
    package func leave() -> Bool {
        guard lease != 0 else { return true }
        guard !leaving else { return false }
        leaving = true
        if let request = watchRequest?.request { client.cancel(request) }
        watchRequest = nil
        fenceFile?.remove(lease: lease)
        client.call("/v3/lease/revoke", body: EtcdRequests.revoke(lease: lease)) { [weak self] _ in
            self?.lease = 0
            self?.log("fleet_left", [:])
        }
        return false
    }

    /// The supervisors' copy of the deadline (`FenceFile`).
    private func writeDeadline() {
        guard let fenceFile, lease != 0, let deadline = clock.deadline else { return }
        if let problem = fenceFile.write(lease: lease, deadline: deadline) { log("fleet_fence_file_failed", ["error": problem]) }
    }

    /// The deadline file of the current lease, for a run's supervisor; nil without a lease.
    package var currentFenceFile: String? {
        lease == 0 ? nil : fenceFile?.path(lease: lease)
    }

    // MARK: - Claims

    /// Claims `occurrence` on this host's lease unless a claim or a done mark exists
    /// (both compared on `create_revision == 0`, in one txn). A claim already held on this
    /// lease (a retry here) counts as won, with its fence. With `runningKey` (a `once` job
    /// whose `overlap` is not `allow`), that key must be absent too and is put on the lease
    /// with the claim: one run of the job at a time across the fleet.
    package func claim(_ occurrence: String, value: [UInt8], runningKey: String? = nil, completion: @escaping (ClaimAnswer) -> Void) {
        guard mayClaim else { return completion(.unavailable(reason: waitReason ?? "no lease")) }
        let claimKey = keyspace.claim(occurrence), doneKey = keyspace.done(occurrence)
        var compare: [EtcdCompare] = [.createRevision(key: claimKey, equals: 0), .createRevision(key: doneKey, equals: 0)]
        var success: [EtcdOperation] = [.put(key: claimKey, value: value, lease: lease)]
        var failure: [EtcdOperation] = [.range(key: claimKey), .range(key: doneKey)]
        if let runningKey {
            compare.append(.createRevision(key: runningKey, equals: 0))
            success.append(.put(key: runningKey, value: value, lease: lease))
            failure.append(.range(key: runningKey))
        }
        let body = EtcdRequests.txn(compare: compare, success: success, failure: failure)
        let claimedLease = lease
        client.call("/v3/kv/txn", body: body) { [weak self] answer in
            guard let self else { return }
            switch answer {
            case .failure(let error):
                self.failed(error)
                completion(.unavailable(reason: "etcd did not answer the claim: \(error)"))
            case .success(let object):
                self.answered()
                // Given up (fenced) while the claim was on its way: it is not this host's to run.
                guard self.lease == claimedLease else { return completion(.unavailable(reason: "the lease it was claimed on was given up meanwhile")) }
                // Past the deadline (the host was paused while the answer came): the lease may
                // have expired and the occurrence been taken elsewhere; fenced now, not run here.
                let now = self.monotonicNow()
                if self.clock.isPastDeadline(at: now) {
                    self.fence(now: now)
                    return completion(.unavailable(reason: "the lease's deadline passed before the claim's answer was read"))
                }
                let txn = EtcdResponses.txn(object)
                if txn.succeeded {
                    self.claimRevisions[occurrence] = txn.revision
                    return completion(.won(fence: txn.revision))
                }
                let held = txn.ranges.first?.first, done = txn.ranges.dropFirst().first?.first
                let running = txn.ranges.dropFirst(2).first?.first
                if let done { return completion(.lost(holder: Self.host(in: done.value) ?? "?", done: true)) }
                if let held, held.lease == claimedLease, claimedLease != 0 {
                    self.claimRevisions[occurrence] = held.modRevision
                    return completion(.won(fence: held.createRevision))
                }
                if let held { return completion(.lost(holder: Self.host(in: held.value) ?? "?", done: false)) }
                completion(.busy(holder: running.flatMap { Self.host(in: $0.value) } ?? "?"))
            }
        }
    }

    /// Rewrites the value of a claim this host holds (e.g. that its run has started): one
    /// update on its way per occurrence, the latest value sent next; one etcd did not answer
    /// is kept and sent again with the owed done marks. Each compares the claim's fence and
    /// its mod revision as last known here; a claim written meanwhile is read and the value
    /// sent again; a claim gone (done, or its lease ended) is not updated.
    package func update(_ occurrence: String, fence: Int64, value: [UInt8]) {
        guard lease != 0 else { return }
        updateSerial += 1
        owedUpdates[occurrence] = (fence, lease, value, updateSerial)
        sendUpdate(occurrence)
    }

    /// Claim values not yet known written.
    package var owedUpdateCount: Int { owedUpdates.count }

    private func sendUpdate(_ occurrence: String) {
        guard let owed = owedUpdates[occurrence], !updating.contains(occurrence) else { return }
        guard owed.lease == lease else {
            owedUpdates[occurrence] = nil
            return
        }
        updating.insert(occurrence)
        let key = keyspace.claim(occurrence)
        let compare = [EtcdCompare.createRevision(key: key, equals: owed.fence)] + (claimRevisions[occurrence].map { [.modRevision(key: key, equals: $0)] } ?? [])
        let body = EtcdRequests.txn(compare: compare, success: [.put(key: key, value: owed.value, lease: owed.lease)], failure: [.range(key: key)])
        client.call("/v3/kv/txn", body: body) { [weak self] answer in
            guard let self else { return }
            self.updating.remove(occurrence)
            // Finished or fenced meanwhile: nothing more to write.
            guard self.owedUpdates[occurrence] != nil else { return }
            switch answer {
            case .failure(let error):
                // Whether it landed is unknown: the mod revision compared next tells.
                self.failed(error)
                self.owedRetryAt = self.owedRetryAt ?? self.monotonicNow() + 1_000_000_000
                return
            case .success(let object):
                self.answered()
                let txn = EtcdResponses.txn(object)
                if txn.succeeded {
                    self.claimRevisions[occurrence] = txn.revision
                    if self.owedUpdates[occurrence]?.serial == owed.serial { self.owedUpdates[occurrence] = nil }
                } else if let current = txn.ranges.first?.first, current.createRevision == owed.fence {
                    // Written since it was last known here (an update whose answer was lost,
                    // or a late copy): compared on what is there now.
                    self.claimRevisions[occurrence] = current.modRevision
                } else {
                    self.owedUpdates[occurrence] = nil
                    self.claimRevisions[occurrence] = nil
                    return
                }
                self.sendUpdate(occurrence)
            }
        }
    }

    /// Marks `occurrence` done (no lease: it outlives this host) and deletes this host's
    /// claim if it is still the one with `fence`, and `runningKey` if it is the one put with
    /// that claim (same create revision; another claim's running key stays). Kept and tried
    /// again until etcd answers.
    package func finish(_ occurrence: String, fence: Int64, value: [UInt8], runningKey: String? = nil) {
        owedUpdates[occurrence] = nil
        claimRevisions[occurrence] = nil
        owedFinishes[occurrence] = (fence, value, runningKey)
        sendFinish(occurrence)
    }

    /// Occurrences whose done mark is not yet written.
    package var owedFinishCount: Int { owedFinishes.count }

    /// The done marks not yet written, oldest occurrence key first: kept in `fleet.json`,
    /// so a daemon started after this one sends them (`finish`) if this one could not.
    package var owedFinishList: [(occurrence: String, fence: Int64, value: [UInt8], runningKey: String?)] {
        owedFinishes.sorted { $0.key < $1.key }.map { ($0.key, $0.value.fence, $0.value.value, $0.value.runningKey) }
    }

    private func sendFinish(_ occurrence: String) {
        guard let (fence, value, runningKey) = owedFinishes[occurrence], !finishing.contains(occurrence) else { return }
        finishing.insert(occurrence)
        let claimKey = keyspace.claim(occurrence), doneKey = keyspace.done(occurrence)
        // The running key in a txn of its own inside: when it is another claim's, the done
        // mark is written and the claim deleted all the same.
        let running = runningKey.map { [EtcdOperation.txn(compare: [.createRevision(key: $0, equals: fence)], success: [.delete(key: $0)], failure: [])] } ?? []
        let body = EtcdRequests.txn(compare: [.createRevision(key: claimKey, equals: fence)],
                                    success: [.put(key: doneKey, value: value, lease: 0), .delete(key: claimKey)] + running,
                                    failure: [])
        client.call("/v3/kv/txn", body: body) { [weak self] answer in
            guard let self else { return }
            self.finishing.remove(occurrence)
            switch answer {
            case .failure(let error):
                self.failed(error)
                self.owedRetryAt = self.owedRetryAt ?? self.monotonicNow() + 1_000_000_000
            case .success: self.answered(); self.owedFinishes[occurrence] = nil
            }
        }
    }

    /// Sends again the done marks and claim values etcd did not answer for.
    private func retryOwed() {
        for occurrence in owedFinishes.keys.sorted() { sendFinish(occurrence) }
        for occurrence in owedUpdates.keys.sorted() { sendUpdate(occurrence) }
    }

    /// The most operations one pruning txn carries: etcd refuses a txn of more than
    /// `--max-txn-ops` (128 by default).
    package static let pruneChunk = 100

    /// Deletes the done marks under `prefix` but the newest `keep` (by revision), in txns of
    /// at most `pruneChunk` deletes; a failure is logged (the next pruning tries again).
    package func pruneDone(prefix: String, keep: Int) {
        client.call("/v3/kv/range", body: EtcdRequests.range(prefix: keyspace.donePrefix + prefix)) { [weak self] answer in
            guard let self else { return }
            guard case .success(let object) = answer else {
                if case .failure(let error) = answer { self.log("fleet_prune_failed", ["prefix": prefix, "error": error.description]) }
                return
            }
            let marks = EtcdResponses.keyValues(object).sorted { $0.modRevision > $1.modRevision }
            guard marks.count > keep else { return }
            let deletes = marks.dropFirst(keep).map { EtcdOperation.delete(key: $0.key) }
            for start in stride(from: 0, to: deletes.count, by: Self.pruneChunk) {
                let chunk = Array(deletes[start..<min(start + Self.pruneChunk, deletes.count)])
                self.client.call("/v3/kv/txn", body: EtcdRequests.txn(compare: [], success: chunk, failure: [])) { [weak self] answer in
                    guard case .failure(let error) = answer else { return }
                    self?.log("fleet_prune_failed", ["prefix": prefix, "marks": "\(chunk.count)", "error": error.description])
                }
            }
        }
    }

    // MARK: - Watch

    private func startWatch() {
        guard lease != 0, watchRequest == nil else { return }
        watchRetryAt = nil
        // What the stream missed while it was down shows in a listing.
        relistAt = 0
        let handle = EtcdWatchHandle()
        watchRequest = handle
        handle.request = client.watch(prefix: keyspace.root, startRevision: watchedRevision == 0 ? 0 : watchedRevision + 1, onMessage: { [weak self, weak handle] message in
            guard let self, let handle, self.watchRequest === handle else { return }
            self.watched(message)
        }, onEnd: { [weak self, weak handle] error in
            guard let self, let handle, self.watchRequest === handle else { return }
            self.watchRequest = nil
            self.watchRetryAt = self.monotonicNow() + 1_000_000_000
            self.log("fleet_watch_ended", ["error": error.description])
        })
    }

    private func watched(_ message: EtcdWatchMessage) {
        switch message {
        case .created(let revision):
            watchedRevision = max(watchedRevision, revision)
        case .events(let events, let revision):
            watchedRevision = max(watchedRevision, revision)
            // A claim deleted with its done mark in the same txn ended normally.
            let done = Set(events.filter { !$0.isDelete && $0.kv.key.hasPrefix(keyspace.donePrefix) }.map { $0.kv.key.dropFirst(keyspace.donePrefix.count) })
            for event in events where event.isDelete && event.kv.key.hasPrefix(keyspace.runningPrefix) {
                onEvent(.runningEnded(job: String(event.kv.key.dropFirst(keyspace.runningPrefix.count))))
            }
            for event in events where keyspace.occurrence(ofClaim: event.kv.key) != nil {
                knownClaims[event.kv.key] = event.isDelete ? nil : event.kv
            }
            for event in events where event.isDelete {
                guard let occurrence = keyspace.occurrence(ofClaim: event.kv.key), let previous = event.previous,
                      !done.contains(Substring(occurrence)) else { continue }
                onEvent(.claimDeleted(occurrence: occurrence, previous: previous))
            }
        case .canceled(let compacted, let reason):
            // Events before the compaction are gone: watch on from now.
            log("fleet_watch_canceled", ["compact_revision": "\(compacted)", "reason": reason])
            watchedRevision = 0
            if let request = watchRequest?.request { client.cancel(request) }
            watchRequest = nil
            watchRetryAt = monotonicNow()
        case .failed(let error):
            log("fleet_watch_failed", ["error": error.description])
        }
    }

    /// Lists the claims (after each (re)start of the watch, then every TTL): a claim known
    /// before and missing now was deleted unseen; it is reported as the watch would have
    /// (the claim txn of a takeover still refuses an occurrence that is done).
    private func relistClaims() {
        relisting = true
        client.call("/v3/kv/range", body: EtcdRequests.range(prefix: keyspace.claimsPrefix)) { [weak self] answer in
            guard let self else { return }
            self.relisting = false
            self.relistAt = self.monotonicNow() + self.clock.ttl
            guard case .success(let object) = answer else { return }
            let listed = Dictionary(EtcdResponses.keyValues(object).map { ($0.key, $0) }, uniquingKeysWith: { $1 })
            let missed = self.knownClaims.filter { listed[$0.key] == nil }
            self.knownClaims = listed
            for (key, previous) in missed.sorted(by: { $0.key < $1.key }) {
                guard let occurrence = self.keyspace.occurrence(ofClaim: key) else { continue }
                self.log("fleet_claim_gone_unseen", ["occurrence": occurrence])
                self.onEvent(.claimDeleted(occurrence: occurrence, previous: previous))
            }
        }
    }

    // MARK: - Reachability

    private func failed(_ error: EtcdError) {
        let first = unreachableSince == nil
        if first { unreachableSince = Date() }
        lastError = error.description
        if first {
            log("fleet_unreachable", ["error": error.description])
            onEvent(.reachability(changed: true))
        }
    }

    private func answered() {
        guard unreachableSince != nil else { return }
        log("fleet_reachable", ["endpoint": client.currentEndpoint, "since": unreachableSince.map(Self.wallTime) ?? ""])
        unreachableSince = nil
        lastError = nil
        onEvent(.reachability(changed: true))
        // What etcd did not take while it did not answer goes now, not at the next renewal.
        retryOwed()
    }

    // MARK: - Values

    package static func json(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    /// The `host` field of a claim's or done mark's JSON value.
    package static func host(in value: [UInt8]) -> String? {
        ((try? JSONSerialization.jsonObject(with: Data(value))) as? [String: Any])?["host"] as? String
    }

    static func wallTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}

/// The watch request in flight, compared by identity so a stale stream's messages are dropped.
final class EtcdWatchHandle {
    var request: HTTPClient.RequestID?
}
