import Definitions
import Fleet
import Foundation
import Scheduling

/// The daemon's side of the fleet (SPEC section 13): this host's `FleetMember` (lease,
/// claims, watch), the `once` occurrences waiting for etcd, the claims held here, and
/// the takeovers of other hosts' lost claims that wait for their jitter.
///
/// Keeps true: an occurrence is waiting, being claimed or held, never two of these; a
/// waiting occurrence is kept until claimed or dropped by its job's catch-up rule; a claim
/// is held from its won txn until its done mark is sent or the lease is given up.
final class FleetBook {
    /// A `once` occurrence that could not be claimed yet (no lease, or etcd did not answer).
    struct Waiting {
        var job: JobID
        var trigger: ExecutionTrigger
        var occurrence: OccurrenceKey
        var requestEnvironment: [String: String]
        var since: Date
        var reason: String
    }

    /// A claim this host holds.
    struct Held {
        var fence: Int64
        var job: JobID
        /// Whether the claim came with the job's running key (`overlap` across the fleet).
        var running = false
        var started = false
        /// The attempt the claim's value names: a new attempt that starts rewrites it, so a
        /// host taking over after this one is lost counts the attempts made (`retries.max`).
        var attempt = 1
    }

    /// Another host's claim gone without a done mark: tried after its jitter.
    struct Takeover {
        var occurrence: OccurrenceKey
        var job: JobID
        var trigger: ExecutionTrigger
        /// The lost claim's attempt; a run that had started is taken as the next attempt.
        var attempt: Int
        var started: Bool
        var from: String
        var due: UInt64
        /// When the lost claim was seen gone: the takeover is on time for 60 s from then.
        var since = Date()
        /// Whether it could not be claimed at least once (no lease, etcd silent) and waits.
        var waited = false
        /// Set when the job ran on `skipBecause`'s host as this was to be taken (`overlap`
        /// skip or replace across the fleet): it is claimed without the running key and
        /// recorded skipped, once across the fleet.
        var skipBecause: String? = nil
    }

    /// Driven only through the methods below: the book keeps what is held here in step
    /// with what is claimed, updated and ended in etcd.
    private let member: FleetMember
    let settings: FleetSettings
    private(set) var waiting: [OccurrenceKey: Waiting] = [:]
    private(set) var claiming: Set<OccurrenceKey> = []
    private(set) var held: [OccurrenceKey: Held] = [:]
    private(set) var takeovers: [OccurrenceKey: Takeover] = [:]
    /// Retries whose claim could not be asked for (no lease yet, etcd silent): admitted again
    /// when etcd answers.
    private(set) var retriesWaiting: [OccurrenceKey: ExecutionRecord] = [:]
    /// The definitions (job, sha256) already logged as not for this host.
    private var notForHere: Set<String> = []
    /// Done marks sent per job since their last pruning.
    private var finishedSincePrune: [JobID: Int] = [:]
    /// Whether `fleet.json` must be written again.
    private(set) var changed = true
    /// How many owed done marks the last `fleet.json` listed.
    private var owedWritten = 0
    /// True from start-up until the runs an earlier daemon left are adopted (`recovered`).
    private(set) var recovering = true

    init(member: FleetMember, settings: FleetSettings) {
        self.member = member
        self.settings = settings
    }

    func noteChanged() { changed = true }

    /// Whether this is the first time `definition` is found not for this host (logged once per version).
    func firstTimeNotForHere(_ definition: JobDefinition) -> Bool {
        notForHere.insert(definition.id.rawValue + "@" + definition.sha256).inserted
    }
    /// `fleet.json` was written, with `owed` done marks not yet in etcd.
    func written(owed: Int) {
        changed = false
        owedWritten = owed
    }

    /// Whether `fleet.json` is due: something in it changed, or the owed done marks did.
    var mustWrite: Bool { changed || member.owedFinishCount != owedWritten }

    /// Whether an occurrence is already on its way (waiting, being claimed or held here).
    func knows(_ occurrence: OccurrenceKey) -> Bool {
        waiting[occurrence] != nil || claiming.contains(occurrence) || held[occurrence] != nil || retriesWaiting[occurrence] != nil
    }

    func waitRetry(_ record: ExecutionRecord) {
        retriesWaiting[record.occurrence] = record
        changed = true
    }

    func takeWaitingRetries() -> [ExecutionRecord] {
        let all = retriesWaiting.values.sorted { $0.id < $1.id }
        retriesWaiting = [:]
        return all
    }

    func beginClaim(_ occurrence: OccurrenceKey) {
        waiting[occurrence] = nil
        claiming.insert(occurrence)
    }

    func endClaim(_ occurrence: OccurrenceKey, won fence: Int64?, job: JobID, running: Bool = false, attempt: Int = 1) {
        claiming.remove(occurrence)
        if let fence { held[occurrence] = Held(fence: fence, job: job, running: running, attempt: attempt) }
        changed = true
    }

    /// Keeps `entry` waiting, then applies its job's rules to what waits (`bound`).
    @discardableResult
    func wait(_ entry: Waiting, definition: JobDefinition, now: Date) -> [Waiting] {
        waiting[entry.occurrence] = entry
        changed = true
        return bound(definition, now: now)
    }

    /// Of one job's waiting occurrences, those still on time (due at most 60 s ago, as
    /// `TriggerPlan` counts a slot on time) all stay; the later ones were missed and follow
    /// `catchup`: `none` drops them, `latest` keeps the newest unless one on time waits,
    /// `all` keeps the newest `max_catchup`. Returns those dropped.
    func bound(_ definition: JobDefinition, now: Date) -> [Waiting] {
        let ofJob = waiting.values.filter { $0.job == definition.id }.sorted { Self.due($0) > Self.due($1) }
        let onTime = ofJob.filter { now.timeIntervalSince(Self.due($0)) <= TriggerPlan.onTimeGrace }
        let missed = ofJob.filter { now.timeIntervalSince(Self.due($0)) > TriggerPlan.onTimeGrace }
        let keep: Int
        switch definition.catchup {
        case .none: keep = 0
        case .latest: keep = onTime.isEmpty ? 1 : 0
        case .all: keep = definition.maxCatchup
        }
        let dropped = Array(missed.dropFirst(keep))
        for entry in dropped { waiting[entry.occurrence] = nil }
        return dropped
    }

    private static func due(_ entry: Waiting) -> Date { entry.trigger.scheduledFor ?? entry.since }

    /// The waiting occurrences (of `job`, or all), oldest due first, taken out to be claimed,
    /// after their jobs' rules (`bound`) dropped what is too late.
    func takeWaiting(job: JobID? = nil, now: Date, definitions: (JobID) -> JobDefinition?) -> (claim: [Waiting], dropped: [Waiting]) {
        var dropped: [Waiting] = []
        for id in Set(waiting.values.map(\.job)) where job == nil || id == job {
            if let definition = definitions(id) { dropped += bound(definition, now: now) }
        }
        let all = waiting.values.filter { job == nil || $0.job == job }.sorted { (Self.due($0), $0.occurrence.rawValue) < (Self.due($1), $1.occurrence.rawValue) }
        for entry in all { waiting[entry.occurrence] = nil }
        changed = changed || !all.isEmpty || !dropped.isEmpty
        return (all, dropped)
    }

    /// A claim an earlier daemon on this state directory made (its run was recovered).
    func adopt(_ occurrence: OccurrenceKey, fence: Int64, job: JobID, running: Bool, started: Bool, attempt: Int) {
        held[occurrence] = Held(fence: fence, job: job, running: running, started: started, attempt: attempt)
        changed = true
    }

    /// `attempt` of a held claim's occurrence has started: the claim, when it did not say
    /// so yet (not started, or an earlier attempt), with its value to be rewritten.
    func markStarted(_ occurrence: OccurrenceKey, attempt: Int) -> Held? {
        guard var claim = held[occurrence], !claim.started || claim.attempt != attempt else { return nil }
        claim.started = true
        claim.attempt = attempt
        held[occurrence] = claim
        return claim
    }

    /// The held claim of an occurrence that has ended for good, taken out.
    func release(_ occurrence: OccurrenceKey) -> Held? {
        guard let claim = held.removeValue(forKey: occurrence) else { return nil }
        changed = true
        finishedSincePrune[claim.job, default: 0] += 1
        return claim
    }

    /// As `release`, and during start-up recovery also for an earlier daemon's run that
    /// ended before its claim could be adopted (its outcome collected, or found interrupted):
    /// its claim is the one with the record's `fence`. The done mark's txn compares the
    /// claim's create revision to it (and the running key's, deleted only when it came with
    /// that claim, hence `running`), so a claim that is gone or another's is left alone.
    /// Later, a claim not held (given up when the lease was) is not this host's to end.
    func release(_ occurrence: OccurrenceKey, recordedFence: Int64?, job: JobID) -> Held? {
        if let claim = release(occurrence) { return claim }
        guard recovering, let fence = recordedFence else { return nil }
        changed = true
        finishedSincePrune[job, default: 0] += 1
        return Held(fence: fence, job: job, running: true)
    }

    /// The runs an earlier daemon left are adopted: from now on only held claims are released.
    func recovered() { recovering = false }

    /// Whether `job`'s done marks are due for pruning (once per `keep` finishes).
    func takePruneDue(_ job: JobID, keep: Int) -> Bool {
        guard finishedSincePrune[job, default: 0] >= keep else { return false }
        finishedSincePrune[job] = 0
        return true
    }

    /// The lease is gone: no claim is held any more.
    func dropHeld() -> [OccurrenceKey: Held] {
        let all = held
        held = [:]
        changed = true
        return all
    }

    func schedule(_ takeover: Takeover) {
        guard takeovers[takeover.occurrence] == nil, !knows(takeover.occurrence) else { return }
        takeovers[takeover.occurrence] = takeover
    }

    /// Whether a takeover that could not be claimed now (no lease, or etcd did not answer)
    /// is tried again, as a waiting occurrence is kept (`bound`): always while on time (60 s
    /// since its claim was seen gone); then as its job's `catchup` says of a missed
    /// occurrence: `none` gives it up, `latest` keeps only the job's newest, `all` its newest
    /// `max_catchup`.
    func keepsTrying(_ takeover: Takeover, definition: JobDefinition, now: Date) -> Bool {
        guard now.timeIntervalSince(takeover.since) > TriggerPlan.onTimeGrace else { return true }
        let newer = takeovers.values.filter { $0.job == takeover.job && $0.occurrence != takeover.occurrence && $0.since > takeover.since }.count
        switch definition.catchup {
        case .none: return false
        case .latest: return newer == 0
        case .all: return newer < definition.maxCatchup
        }
    }

    func takeDueTakeovers(now: UInt64) -> [Takeover] {
        let due = takeovers.values.filter { $0.due <= now }.sorted { $0.due < $1.due }
        for takeover in due { takeovers[takeover.occurrence] = nil }
        return due
    }

    // MARK: - This host's member (its lease; claims in etcd)

    /// Whether claims can be made now (`FleetMember.mayClaim`).
    var mayClaim: Bool { member.mayClaim }
    /// Why claims cannot be made now; nil when they can.
    var waitReason: String? { member.waitReason }
    var unreachableSince: Date? { member.unreachableSince }
    /// The lease held now; 0 for none.
    var lease: Int64 { member.lease }
    /// The member's lease and reachability, for `fleet.json`.
    var standing: FleetMember.Standing { member.standing }
    var owedFinishCount: Int { member.owedFinishCount }
    var owedFinishList: [(occurrence: String, fence: Int64, value: [UInt8], runningKey: String?)] { member.owedFinishList }
    /// The deadline file of the current lease, for a run's supervisor; nil without a lease.
    var currentFenceFile: String? { member.currentFenceFile }

    /// The key of `job`'s run across the fleet (`overlap`).
    func runningKey(_ job: String) -> String { member.keyspace.running(job) }

    /// Joins, adopting the lease of the daemon before this one if etcd still has it.
    func start(adopting previous: Int64?) { member.start(adopting: previous) }

    func claim(_ occurrence: String, value: [UInt8], runningKey: String? = nil, completion: @escaping (FleetMember.ClaimAnswer) -> Void) {
        member.claim(occurrence, value: value, runningKey: runningKey, completion: completion)
    }

    func update(_ occurrence: String, fence: Int64, value: [UInt8]) { member.update(occurrence, fence: fence, value: value) }

    func finish(_ occurrence: String, fence: Int64, value: [UInt8], runningKey: String? = nil) {
        member.finish(occurrence, fence: fence, value: value, runningKey: runningKey)
    }

    func pruneDone(prefix: String, keep: Int) { member.pruneDone(prefix: prefix, keep: keep) }

    /// Fences now if the lease is past its deadline and the member has not ticked since.
    func fenceIfPastDeadline() { member.fenceIfPastDeadline() }

    func tick() { member.tick() }

    /// Ends the lease on a clean stop: true once it is gone (call again until then).
    func leave() -> Bool { member.leave() }

    /// The earliest monotonic instant something here is due.
    var nextWake: UInt64? {
        [member.nextWake, takeovers.values.map(\.due).min()].compactMap { $0 }.min()
    }
}
