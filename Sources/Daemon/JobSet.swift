import Cron
import Definitions
import Foundation
import Scheduling

/// The jobs in force and their time-based triggers: definitions (the registry and
/// `_defaults.yaml`), each job's timeline and trigger plan, and when each next needs the
/// daemon awake. The one owner of all of these; it reads no file and fires nothing:
/// the daemon hands it load outcomes and asks it which slots are due.
///
/// Invariants: a job has a plan and a timeline from the first install of a valid
/// definition until its file is removed; a job has a wake time only while it is enabled
/// and has a slot ahead; the cycle cache is dropped with every change; a timeline
/// (the `every` anchor and the last slot dealt with per kind) is kept from the job's
/// first install in this daemon until its file is removed.
struct JobSet {
    private(set) var registry = JobRegistry()
    private(set) var defaults: DefaultsFile = .absent
    private var timelines: [JobID: JobTimeline] = [:]
    private var plans: [JobID: TriggerPlan] = [:]
    private var wakeTimes: [JobID: Date] = [:]
    /// The earliest of `wakeTimes` (`.some(nil)`: none), or `.none` when it must be looked
    /// for again: a loop turn asks for it, so with thousands of jobs it is kept, not searched.
    private var earliestWake: Date?? = .some(nil)
    private var zones: [String: TimeZoneRules] = [:]
    private var chainCycleCache: Set<JobID>?
    /// The jobs in force with an `after` link to each upstream job.
    private var followers: [JobID: Set<JobID>] = [:]
    private let localZone = TimeZoneRules.current()

    var definitions: some Sequence<JobDefinition> { registry.definitions }

    func definition(_ id: JobID) -> JobDefinition? { registry.definition(id) }

    /// Every valid definition by id.
    var definitionsByID: [JobID: JobDefinition] {
        var byID: [JobID: JobDefinition] = [:]
        for definition in registry.definitions { byID[definition.id] = definition }
        return byID
    }

    /// How many job files are invalid (with or without a definition kept in force).
    var invalidCount: Int { registry.entries.values.filter { $0.problems != nil }.count + registry.unassigned.count }

    /// The file a job was loaded from, if it is known.
    func file(of id: JobID) -> String? { registry.entries[id]?.file }

    mutating func setDefaults(_ defaults: DefaultsFile) { self.defaults = defaults }

    /// Records a file's load outcome.
    mutating func apply(_ load: JobFileLoad) -> JobRegistry.Change {
        chainCycleCache = nil
        let change = registry.apply(load)
        switch change {
        case .added(let definition): indexFollowers(old: nil, new: definition)
        case .replaced(let old, let new): indexFollowers(old: old, new: new)
        case .unchanged, .invalid, .removed: break
        }
        return change
    }

    /// Records that a file is gone; a job it defined loses its triggers.
    mutating func remove(_ relativePath: String) -> JobRegistry.Change? {
        chainCycleCache = nil
        let change = registry.remove(relativePath)
        if case .removed(let id, let last)? = change {
            indexFollowers(old: last, new: nil)
            plans[id] = nil
            setWakeTime(id, nil)
            timelines[id] = nil
        }
        return change
    }

    /// Puts a valid definition's triggers in force. On the job's first install in this
    /// daemon its timeline starts at `firstSeen` with the slots already dealt with
    /// (`lastSlots`, read from the records only then). Returns the `every` anchor and
    /// whether this was the first install.
    mutating func install(_ definition: JobDefinition, firstSeen: Date, lastSlots: () -> [TriggerKind: Date], now: Date) -> (anchor: Date, firstInstall: Bool) {
        let id = definition.id
        let firstInstall = timelines[id] == nil
        if firstInstall { timelines[id] = JobTimeline(firstSeen: firstSeen, lastSlot: lastSlots()) }
        let anchor = timelines[id]!.firstSeen
        plans[id] = TriggerPlan(definition: definition, firstSeen: anchor, zone: zone(for: definition), loadedAt: now)
        return (anchor, firstInstall)
    }

    /// Recomputes when `id` next needs the daemon awake; returns its next due time per
    /// trigger kind (for `next_due`), or nil when it has no plan.
    mutating func updateWakeTime(_ id: JobID, now: Date) -> [String: Date]? {
        guard let plan = plans[id], let timeline = timelines[id], let definition = registry.definition(id) else {
            setWakeTime(id, nil)
            return nil
        }
        setWakeTime(id, definition.enabled ? plan.wakeTime(timeline, now: now) : nil)
        var nextDue: [String: Date] = [:]
        if definition.enabled {
            for (kind, _) in plan.kinds {
                if let due = plan.nextDue(after: max(now, timeline.baseline(kind)))[kind] { nextDue[kind.rawValue] = due }
            }
        }
        return nextDue
    }

    /// Jobs with a plan (for recomputing every wake time after a clock step).
    var plannedJobs: [JobID] { Array(plans.keys) }

    /// Jobs whose wake time has come, in id order.
    mutating func dueJobs(now: Date) -> [JobID] {
        guard let earliest = nextWake, earliest <= now else { return [] }
        return wakeTimes.filter { $0.value <= now }.map(\.key).sorted()
    }

    private mutating func setWakeTime(_ id: JobID, _ time: Date?) {
        let old = if let time { wakeTimes.updateValue(time, forKey: id) } else { wakeTimes.removeValue(forKey: id) }
        guard case .some(let earliest) = earliestWake else { return }
        if let old, old == earliest, time.map({ $0 > old }) ?? true {
            earliestWake = .none  // the earliest moved later or went: looked for when asked
        } else if let time, earliest.map({ time < $0 }) ?? true {
            earliestWake = .some(time)
        }
    }

    /// The slots of `id` due at `now`; they count as dealt with from here on.
    mutating func takeDueSlots(_ id: JobID, now: Date) -> (definition: JobDefinition, slots: [TriggerPlan.Slot])? {
        guard let plan = plans[id], let timeline = timelines[id], let definition = registry.definition(id) else { return nil }
        let (slots, updated) = plan.due(timeline, now: now)
        timelines[id] = updated
        return (definition, slots)
    }

    /// The earliest wake time of any job.
    var nextWake: Date? {
        mutating get {
            if case .some(let known) = earliestWake { return known }
            let found = wakeTimes.values.min()
            earliestWake = .some(found)
            return found
        }
    }

    /// The earliest wake time later than `instant`.
    func nextWake(after instant: Date) -> Date? { wakeTimes.values.filter { $0 > instant }.min() }

    /// The zone for a job's `timezone` (cached; the local zone when none is set).
    mutating func zone(for definition: JobDefinition) -> TimeZoneRules {
        guard let name = definition.timezone else { return localZone }
        if let zone = zones[name] { return zone }
        let zone = (try? TimeZoneRules.cached(named: name)) ?? localZone
        zones[name] = zone
        return zone
    }

    /// The definitions in force with an `after` link to `upstream`, whatever its condition.
    func followers(of upstream: JobID) -> [JobDefinition] {
        (followers[upstream] ?? []).compactMap { registry.definition($0) }
    }

    private mutating func indexFollowers(old: JobDefinition?, new: JobDefinition?) {
        for link in old?.after ?? [] {
            followers[link.job]?.remove(old!.id)
            if followers[link.job]?.isEmpty == true { followers[link.job] = nil }
        }
        for link in new?.after ?? [] { followers[link.job, default: []].insert(new!.id) }
    }

    /// Jobs on an `after` cycle, computed again after definitions change.
    mutating func jobsInChainCycles() -> Set<JobID> {
        if let known = chainCycleCache { return known }
        let cyclic = Set(ChainCheck.cycles(in: definitionsByID).flatMap { $0 })
        chainCycleCache = cyclic
        return cyclic
    }
}
