import Cron
import Definitions
import Fleet
import Foundation
import Glibc
import Scheduling

/// The fleet (SPEC section 13): `once` occurrences are claimed in etcd before their record
/// is written, marked done when they end, taken over when another host's claim is lost;
/// past its lease's deadline the host cancels its `once` runs and rejoins (`FleetBook`,
/// `FleetMember`).
extension Daemon {
    /// Joins the fleet of `--fleet`, on the daemon's HTTP client.
    func startFleet() {
        guard let settings = configuration.fleet else { return }
        let client = EtcdClient(endpoints: settings.endpoints, http: http)
        let member = FleetMember(
            fleet: settings.name, host: host, labels: settings.labels, client: client, ttl: settings.leaseTTL,
            margin: settings.fenceMargin, fenceFile: FenceFile(directory: store.layout.root + "/fleet"), monotonicNow: TimerDescriptor.monotonicNow,
            log: { [log] name, fields in log.event(name, fields: fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) },
            onEvent: { [unowned self] event in self.handle(fleetEvent: event) })
        let fleet = FleetBook(member: member, settings: settings)
        self.fleet = fleet
        log.event("fleet", ["name": settings.name, "host": host, "endpoints": settings.endpoints.joined(separator: ","),
                            "labels": settings.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")])
        let written = (FileManager.default.contents(atPath: store.layout.root + "/fleet.json"))
            .flatMap { (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any] }
        // The done marks an earlier daemon could not write: sent again (each compares its
        // claim's fence, so one written since, or a claim gone, changes nothing).
        for owed in written?["owed_finishes"] as? [[String: Any]] ?? [] {
            guard let occurrence = owed["occurrence"] as? String, let fence = (owed["fence"] as? NSNumber)?.int64Value,
                  let value = owed["value"] as? String else { continue }
            fleet.finish(occurrence, fence: fence, value: Array(value.utf8), runningKey: owed["running_key"] as? String)
        }
        // The lease an earlier daemon on this state directory held, if etcd still has it.
        let previous = (written?["lease"] as? String).flatMap { Int64($0, radix: 16) }
        fleet.start(adopting: previous)
    }

    /// After recovery: the `once` runs an earlier daemon started (re-attached, or waiting)
    /// hold their claims under the adopted lease; their done marks are this host's to write.
    func fleetAdoptRecoveredRuns() {
        guard let fleet else { return }
        let records = runs.running.values.map { ($0.record, $0.definition) } + runs.waiting.values.compactMap { entry in
            JobID(entry.record.job).flatMap { jobs.definition($0) }.map { (entry.record, $0) }
        }
        for (record, definition) in records {
            guard case .int(let fence)? = record.trigger.extra["fence"], let job = JobID(record.job) else { continue }
            fleet.adopt(record.occurrence, fence: fence, job: job, running: definition.overlap != .allow, started: record.pid != nil, attempt: record.attempt)
        }
        fleet.recovered()
    }

    /// Whether the fleet takes this occurrence over from `fire`: a `once` occurrence is
    /// claimed first (and fired again with its fence once won); a job whose `hosts:` this
    /// host does not match does not run here. Manual triggers run where they were dropped.
    func fleetTakes(_ definition: JobDefinition, trigger: ExecutionTrigger, occurrence: OccurrenceKey,
                    requestEnvironment: [String: String]) -> Bool {
        guard let fleet, trigger.kind != .manual, trigger.extra["fence"] == nil else { return false }
        guard definition.mayRun(onHostLabelled: fleet.settings.labels) else {
            guard fleet.firstTimeNotForHere(definition) else { return true }
            log.event("not_for_this_host", ["job": definition.id.rawValue, "occurrence": occurrence.rawValue, "note": "its occurrences do not run here",
                                             "hosts": definition.hosts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")])
            return true
        }
        guard definition.fleetMode == .once else { return false }
        guard !fleet.knows(occurrence) else { return true }
        claim(FleetBook.Waiting(job: definition.id, trigger: trigger, occurrence: occurrence,
                                requestEnvironment: requestEnvironment, since: Date(), reason: ""))
        return true
    }

    /// Claims a `once` occurrence; won, it fires with its fence; lost, it does not run here
    /// (no record); unanswered, it waits for etcd.
    private func claim(_ entry: FleetBook.Waiting, overlapChecked: Bool = false, skipBecause busyHost: String? = nil) {
        guard let fleet, let definition = jobs.definition(entry.job) else { return }
        guard fleet.mayClaim else { return keepWaiting(entry, reason: fleet.waitReason ?? "no fleet lease", definition: definition) }
        fleet.beginClaim(entry.occurrence)
        let asked = TimerDescriptor.monotonicNow()
        let runningKey = definition.overlap == .allow || overlapChecked ? nil : fleet.runningKey(entry.job.rawValue)
        fleet.claim(entry.occurrence.rawValue, value: claimValue(entry, attempt: 1, started: true), runningKey: runningKey) { [unowned self] answer in
            let latency = Double(TimerDescriptor.monotonicNow() - asked) / 1e6
            switch answer {
            case .busy(let holder):
                fleet.endClaim(entry.occurrence, won: nil, job: entry.job)
                let current = jobs.definition(entry.job) ?? definition
                if current.overlap == .queue {
                    keepWaiting(entry, reason: "the job runs on host \(holder) (overlap: queue, across the fleet)", definition: current)
                } else {
                    // Claimed without the running key, to record the skip once across the fleet.
                    claim(entry, overlapChecked: true, skipBecause: holder)
                }
            case .won(let fence):
                fleet.endClaim(entry.occurrence, won: fence, job: entry.job, running: runningKey != nil)
                log.event("claimed", ["job": entry.job.rawValue, "occurrence": entry.occurrence.rawValue, "fence": "\(fence)",
                                      "claim_ms": String(format: "%.1f", latency)])
                guard let current = jobs.definition(entry.job) else { return releaseUnrun(entry.occurrence, state: "removed") }
                var trigger = entry.trigger
                trigger.extra["fence"] = .int(fence)
                if let busyHost {
                    let id = newExecutionID(job: current.id, dueAt: trigger.scheduledFor ?? Date(), kind: trigger.kind)
                    let record = ExecutionRecord.queued(id: id, job: current.id.rawValue, occurrence: entry.occurrence, trigger: trigger,
                                                        definitionSHA256: current.sha256, command: current.argv, host: host, at: Date())
                    return recordSkipped(record, kind: "overlap", message: "skipped: the job runs on host \(busyHost) (overlap: \(current.overlap.rawValue), across the fleet)")
                }
                if let limit = current.startingDeadline, let due = trigger.scheduledFor, !StartingDeadline(limit).allowsStart(of: due, at: Date()) {
                    let id = newExecutionID(job: current.id, dueAt: due, kind: trigger.kind)
                    let record = ExecutionRecord.queued(id: id, job: current.id.rawValue, occurrence: entry.occurrence, trigger: trigger,
                                                        definitionSHA256: current.sha256, command: current.argv, host: host, at: Date())
                    return recordSkipped(record, kind: "deadline", message: "claimed \(DurationText.format(.milliseconds(Int64(Date().timeIntervalSince(due) * 1000)))) after its due time, past its starting_deadline")
                }
                fire(current, trigger: trigger, occurrence: entry.occurrence, requestEnvironment: entry.requestEnvironment)
                noteAdmitted(entry, attempt: 1)
            case .lost(let holder, let done):
                fleet.endClaim(entry.occurrence, won: nil, job: entry.job)
                log.event("claim_lost", ["job": entry.job.rawValue, "occurrence": entry.occurrence.rawValue,
                                         "holder": holder, "done": done ? "true" : nil, "claim_ms": String(format: "%.1f", latency)])
            case .unavailable(let reason):
                fleet.endClaim(entry.occurrence, won: nil, job: entry.job)
                keepWaiting(entry, reason: reason, definition: jobs.definition(entry.job) ?? definition)
            }
        }
    }

    private func keepWaiting(_ entry: FleetBook.Waiting, reason: String, definition: JobDefinition) {
        guard let fleet else { return }
        var waiting = entry
        waiting.reason = reason
        if fleet.waiting[entry.occurrence] == nil {
            log.event("claim_waiting", ["job": entry.job.rawValue, "occurrence": entry.occurrence.rawValue, "reason": reason])
        }
        logDropped(fleet.wait(waiting, definition: definition, now: Date()), definition: definition)
    }

    private func logDropped(_ dropped: [FleetBook.Waiting], definition: JobDefinition?) {
        for entry in dropped {
            log.event("claim_dropped", ["job": entry.job.rawValue, "occurrence": entry.occurrence.rawValue,
                                        "reason": "waited for etcd past its slot's 60 s (catchup: \((definition?.catchup ?? .none).rawValue))"])
        }
    }

    /// Takes what waits for `job` (or all) and claims it, after the catch-up rules dropped what is too late.
    private func claimWaiting(_ fleet: FleetBook, job: JobID? = nil) {
        let (claims, dropped) = fleet.takeWaiting(job: job, now: Date()) { jobs.definition($0) }
        for entry in dropped { logDropped([entry], definition: jobs.definition(entry.job)) }
        for entry in claims { claim(entry) }
    }

    /// A claimed occurrence that will not run here after all (its job was removed meanwhile):
    /// forgotten here, with no done mark; its claim stays until this host's lease ends.
    private func releaseUnrun(_ occurrence: OccurrenceKey, state: String) {
        _ = fleet?.release(occurrence)
        log.event("claim_released", ["occurrence": occurrence.rawValue, "reason": state])
    }

    private func claimValue(_ entry: FleetBook.Waiting, attempt: Int, started: Bool, execution: String? = nil) -> [UInt8] {
        FleetMember.json([
            "host": host, "job": entry.job.rawValue, "occurrence": entry.occurrence.rawValue, "kind": entry.trigger.kind.rawValue,
            "scheduled_for": entry.trigger.scheduledFor.map(Timestamp.format) ?? "", "attempt": attempt, "started": started,
            "execution": execution ?? "", "claimed_at": Timestamp.format(Date()),
        ])
    }

    /// The lease's deadline file for the supervisor of a `once` run this host holds the
    /// claim of: the supervisor stops the run past it, even while this daemon is paused.
    func fleetFenceFile(for record: ExecutionRecord) -> String? {
        guard let fleet, fleet.held[record.occurrence] != nil else { return nil }
        return fleet.currentFenceFile
    }

    /// Whether a `queued` record of a claimed occurrence must be claimed again before it
    /// is admitted: a retry whose claim this host no longer holds (its lease went, or the
    /// daemon restarted) is claimed anew; lost, it is not run here and leaves no record.
    func fleetHoldsBack(_ record: ExecutionRecord, definition: JobDefinition) -> Bool {
        guard let fleet, record.trigger.extra["fence"] != nil, fleet.held[record.occurrence] == nil else { return false }
        guard !fleet.knows(record.occurrence) else { return true }
        guard fleet.mayClaim else {
            fleet.waitRetry(record)
            return true
        }
        fleet.beginClaim(record.occurrence)
        let entry = FleetBook.Waiting(job: definition.id, trigger: record.trigger, occurrence: record.occurrence, requestEnvironment: [:], since: Date(), reason: "")
        fleet.claim(record.occurrence.rawValue, value: claimValue(entry, attempt: record.attempt, started: true)) { [unowned self] answer in
            if case .unavailable(let reason) = answer {
                fleet.endClaim(record.occurrence, won: nil, job: definition.id)
                log.event("retry_waiting", ["job": record.job, "execution": record.id.rawValue, "reason": reason])
                return fleet.waitRetry(record)
            }
            guard case .won(let fence) = answer else {
                fleet.endClaim(record.occurrence, won: nil, job: definition.id)
                log.event("retry_not_claimed", ["job": record.job, "execution": record.id.rawValue, "occurrence": record.occurrence.rawValue,
                                                "answer": "\(answer)"])
                return
            }
            fleet.endClaim(record.occurrence, won: fence, job: definition.id, attempt: record.attempt)
            var claimed = record
            claimed.trigger.extra["fence"] = .int(fence)
            admit(claimed, definition: jobs.definition(definition.id) ?? definition, requestEnvironment: [:])
            noteAdmitted(entry, attempt: record.attempt)
        }
        return true
    }

    /// A claim says `started` from the start (a run may begin before an update could reach
    /// etcd): a host taking over after this one is lost counts it as an attempt. Once the
    /// occurrence was admitted, one that did not start (queued, awaiting approval, skipped)
    /// is said not started, so it is taken over freely; one that runs is noted as started.
    private func noteAdmitted(_ entry: FleetBook.Waiting, attempt: Int) {
        guard let fleet, let claim = fleet.held[entry.occurrence] else { return }
        if runs.running.values.contains(where: { $0.record.occurrence == entry.occurrence }) {
            _ = fleet.markStarted(entry.occurrence, attempt: attempt)
        } else {
            fleet.update(entry.occurrence.rawValue, fence: claim.fence, value: claimValue(entry, attempt: attempt, started: false))
        }
    }

    /// A run of a claimed occurrence that waited, or a new attempt (a retry), has started:
    /// the claim says so again, with the attempt.
    func fleetRunStarted(_ record: ExecutionRecord) {
        guard let fleet, let job = JobID(record.job), let claim = fleet.markStarted(record.occurrence, attempt: record.attempt) else { return }
        let entry = FleetBook.Waiting(job: job, trigger: record.trigger, occurrence: record.occurrence, requestEnvironment: [:], since: Date(), reason: "")
        fleet.update(record.occurrence.rawValue, fence: claim.fence,
                     value: claimValue(entry, attempt: record.attempt, started: true, execution: record.id.rawValue))
    }

    /// A terminal record: when no retry follows, its occurrence is marked done in etcd and
    /// the claim deleted; every `history.keep` finishes, older done marks of the job are pruned.
    /// During start-up recovery (before `fleetAdoptRecoveredRuns`) a run of the daemon before
    /// this one that ended while none ran is finished from its record's fence.
    func fleetFinished(_ record: ExecutionRecord) {
        guard let fleet, record.state.isTerminal, record.trigger.retryAt == nil, let job = JobID(record.job) else { return }
        // A run its supervisor ended at the lease's deadline (or never started past it) may
        // be read before this daemon, resumed from a pause, has fenced itself: fenced first,
        // its claim is not held any more and no done mark keeps another host from taking it.
        fleet.fenceIfPastDeadline()
        let recordedFence: Int64? = if case .int(let fence)? = record.trigger.extra["fence"] { fence } else { nil }
        guard let claim = fleet.release(record.occurrence, recordedFence: recordedFence, job: job) else { return }
        let value = FleetMember.json(["host": host, "execution": record.id.rawValue, "state": record.state.rawValue,
                                      "attempt": record.attempt, "finished_at": Timestamp.format(record.finishedAt ?? Date())])
        fleet.finish(record.occurrence.rawValue, fence: claim.fence, value: value,
                     runningKey: claim.running ? fleet.runningKey(claim.job.rawValue) : nil)
        if let definition = jobs.definition(claim.job), fleet.takePruneDue(claim.job, keep: definition.history.keep) {
            fleet.pruneDone(prefix: claim.job.rawValue + ":", keep: definition.history.keep)
        }
    }

    private func handle(fleetEvent event: FleetMember.Event) {
        guard let fleet else { return }
        fleet.noteChanged()
        switch event {
        case .joined:
            claimWhatWaits(fleet)
        case .fenced(let reason):
            // Every occurrence whose claim went with the lease ends here: running, queued, or
            // awaiting approval (approved later, it would run on a claim it no longer holds).
            let lost = fleet.dropHeld()
            for id in runs.running.keys.sorted() where runs.running[id].map({ lost[$0.record.occurrence] != nil }) == true {
                cancelExecution(id, reason: "self-fenced: \(reason)")
            }
            for id in runs.waiting.keys.sorted() where runs.waiting[id].map({ lost[$0.record.occurrence] != nil }) == true {
                cancelExecution(id, reason: "self-fenced: \(reason)")
            }
            for id in approvals.ids(of: Set(lost.keys)) {
                cancelExecution(id, reason: "self-fenced: \(reason)")
            }
        case .runningEnded(let job):
            guard let id = JobID(job) else { return }
            claimWaiting(fleet, job: id)
        case .claimDeleted(let occurrence, let previous):
            considerTakeover(OccurrenceKey(rawValue: occurrence), previous: previous)
        case .reachability:
            // Back with the same lease: what waited is claimed now.
            if fleet.mayClaim && fleet.unreachableSince == nil { claimWhatWaits(fleet) }
        }
    }

    private func claimWhatWaits(_ fleet: FleetBook) {
        claimWaiting(fleet)
        for record in fleet.takeWaitingRetries() {
            guard let job = JobID(record.job), let definition = jobs.definition(job) else { continue }
            admit(record, definition: definition, requestEnvironment: [:])
        }
    }

    /// A claim went without a done mark: this host takes the occurrence after a random
    /// jitter of at most 1 s if it never started, or if it had started and the job's
    /// `retries` allow another attempt; the claim txn still refuses a done one. The claim
    /// may be this host's own, made on a lease it has since given up (it fenced itself):
    /// only one on the lease it holds now is still its to end (a one-host fleet would
    /// otherwise lose the occurrence).
    private func considerTakeover(_ occurrence: OccurrenceKey, previous: EtcdKeyValue) {
        guard let fleet, let object = (try? JSONSerialization.jsonObject(with: Data(previous.value))) as? [String: Any],
              let from = object["host"] as? String, from != host || previous.lease != fleet.lease,
              let job = JobID(object["job"] as? String ?? ""), let definition = jobs.definition(job), definition.enabled,
              definition.fleetMode == .once, definition.mayRun(onHostLabelled: fleet.settings.labels),
              let kindName = object["kind"] as? String, !kindName.isEmpty else { return }
        let kind = TriggerKind(rawValue: kindName)
        let attempt = (object["attempt"] as? Int) ?? 1, started = (object["started"] as? Bool) ?? false
        if started && attempt > definition.retries.max {
            log.event("takeover_refused", ["job": job.rawValue, "occurrence": occurrence.rawValue, "from": from,
                                           "reason": "its run had started and retries (\(definition.retries.max)) allow no other attempt"])
            return
        }
        let scheduled = (object["scheduled_for"] as? String).flatMap(Timestamp.parse)
        let jitter = UInt64.random(in: 0..<1_000_000_000)
        fleet.schedule(FleetBook.Takeover(occurrence: occurrence, job: job, trigger: ExecutionTrigger(kind: kind, scheduledFor: scheduled),
                                          attempt: attempt, started: started, from: from, due: TimerDescriptor.monotonicNow() + jitter))
    }

    private func takeOver(_ takeover: FleetBook.Takeover) {
        guard let fleet, let definition = jobs.definition(takeover.job) else { return }
        guard fleet.mayClaim else { return takeLater(takeover, reason: fleet.waitReason ?? "no fleet lease", definition: definition) }
        let attempt = takeover.started ? takeover.attempt + 1 : takeover.attempt
        let entry = FleetBook.Waiting(job: takeover.job, trigger: takeover.trigger, occurrence: takeover.occurrence, requestEnvironment: [:], since: Date(), reason: "")
        fleet.beginClaim(takeover.occurrence)
        // `overlap` holds across the fleet for a takeover too: the job's running key is part of the claim.
        let runningKey = definition.overlap == .allow || takeover.skipBecause != nil ? nil : fleet.runningKey(takeover.job.rawValue)
        fleet.claim(takeover.occurrence.rawValue, value: claimValue(entry, attempt: attempt, started: true),
                           runningKey: runningKey) { [unowned self] answer in
            if case .busy(let holder) = answer {
                fleet.endClaim(takeover.occurrence, won: nil, job: takeover.job)
                let reason = "the job runs on host \(holder) (overlap: \(definition.overlap.rawValue), across the fleet)"
                // Asked again each second until the job's run elsewhere has ended, as long as
                // the rules of a waiting occurrence keep it.
                if definition.overlap == .queue { return takeLater(takeover, reason: reason, definition: definition) }
                var again = takeover
                again.due = TimerDescriptor.monotonicNow()
                again.skipBecause = holder
                log.event("takeover_waiting", ["job": takeover.job.rawValue, "occurrence": takeover.occurrence.rawValue, "reason": reason])
                return fleet.schedule(again)
            }
            if case .unavailable(let reason) = answer {
                fleet.endClaim(takeover.occurrence, won: nil, job: takeover.job)
                return takeLater(takeover, reason: reason, definition: jobs.definition(takeover.job) ?? definition)
            }
            guard case .won(let fence) = answer else {
                fleet.endClaim(takeover.occurrence, won: nil, job: takeover.job)
                return
            }
            fleet.endClaim(takeover.occurrence, won: fence, job: takeover.job, running: runningKey != nil, attempt: attempt)
            var trigger = takeover.trigger
            trigger.extra["fence"] = .int(fence)
            trigger.extra["taken_over_from"] = .string(takeover.from)
            let id = newExecutionID(job: definition.id, dueAt: trigger.scheduledFor ?? Date(), kind: trigger.kind)
            let record = ExecutionRecord.queued(id: id, job: definition.id.rawValue, occurrence: takeover.occurrence, trigger: trigger,
                                                attempt: attempt, definitionSHA256: definition.sha256, command: definition.argv, host: host, at: Date())
            if let busyHost = takeover.skipBecause {
                return recordSkipped(record, kind: "overlap", message: "skipped: the job runs on host \(busyHost) (overlap: \(definition.overlap.rawValue), across the fleet)")
            }
            // An occurrence that never started starts late here: its `starting_deadline`
            // counts from its due time, as on the host that lost it (a rerun of a started one
            // is a retry, which the deadline does not hold back).
            if !takeover.started, let limit = definition.startingDeadline, let due = trigger.scheduledFor,
               !StartingDeadline(limit).allowsStart(of: due, at: Date()) {
                return recordSkipped(record, kind: "deadline", message: "taken over from host \(takeover.from) \(DurationText.format(.milliseconds(Int64(Date().timeIntervalSince(due) * 1000)))) after its due time, past its starting_deadline")
            }
            log.event("taken_over", ["job": record.job, "execution": id.rawValue, "occurrence": takeover.occurrence.rawValue,
                                     "from": takeover.from, "attempt": "\(attempt)", "fence": "\(fence)"])
            // As `fire` does: a gated job waits for its decision here.
            if definition.approval != nil {
                requestApproval(record, definition: definition, requestEnvironment: [:])
            } else {
                admit(record, definition: definition, requestEnvironment: [:])
            }
            noteAdmitted(entry, attempt: attempt)
        }
    }

    /// A takeover that could not be claimed now (no lease, or etcd did not answer) is asked
    /// again each second while its job's rules keep it (`FleetBook.keepsTrying`).
    private func takeLater(_ takeover: FleetBook.Takeover, reason: String, definition: JobDefinition) {
        guard let fleet else { return }
        guard fleet.keepsTrying(takeover, definition: definition, now: Date()) else {
            return log.event("takeover_dropped", ["job": takeover.job.rawValue, "occurrence": takeover.occurrence.rawValue, "from": takeover.from,
                                                  "reason": reason, "catchup": definition.catchup.rawValue])
        }
        if !takeover.waited {
            log.event("takeover_waiting", ["job": takeover.job.rawValue, "occurrence": takeover.occurrence.rawValue, "from": takeover.from, "reason": reason])
        }
        var again = takeover
        again.waited = true
        again.due = TimerDescriptor.monotonicNow() + 1_000_000_000
        fleet.schedule(again)
    }

    /// The fleet's timers: lease renewals and deadline, rejoining, takeovers after their jitter.
    func fleetTick() {
        guard let fleet else { return }
        fleet.tick()
        for takeover in fleet.takeDueTakeovers(now: TimerDescriptor.monotonicNow()) { takeOver(takeover) }
    }

    var fleetWake: UInt64? { fleet?.nextWake }

    /// In a fleet, `every` slots must be the same instants on every host (they are
    /// occurrence keys): the anchor is put on a multiple of the interval since the Unix
    /// epoch, at or before the one this host would use.
    func fleetAnchor(_ definition: JobDefinition, _ anchor: Date) -> Date {
        let intervals = [definition.every].compactMap { $0 } + definition.schedules.compactMap { if case .every(let i) = $0 { i } else { nil } }
        guard fleet != nil || configuration.fleet != nil, let interval = intervals.first else { return anchor }
        let milliseconds = Double(interval.components.seconds) * 1000 + Double(interval.components.attoseconds / 1_000_000_000_000_000)
        guard milliseconds >= 1 else { return anchor }
        let since = (anchor.timeIntervalSince1970 * 1000).rounded(.down)
        return Date(timeIntervalSince1970: (since - since.truncatingRemainder(dividingBy: milliseconds)) / 1000)
    }

    /// Writes `fleet.json` when something shown in it changed.
    func fleetEndTurn() {
        guard let fleet, fleet.mustWrite else { return }
        if enqueueWrite(FleetStatusFile(fleet, host: host), to: store.layout.root + "/fleet.json") { fleet.written(owed: fleet.owedFinishCount) }
    }

    /// Whether a stopping daemon may exit as far as the fleet goes: the done marks are sent
    /// (unless etcd does not answer) and, on a clean stop, the lease is revoked so others
    /// need not wait for it (not with `--on-stop detach` leaving runs on their claims).
    func fleetSettled() -> Bool {
        guard let fleet else { return true }
        if fleet.owedFinishCount > 0 && fleet.unreachableSince == nil { return false }
        if configuration.onStop == .detach && !runs.isIdle { return true }
        return fleet.leave()
    }
}
