import Cron
import Definitions
import Foundation
import Scheduling

/// Time-based triggers: when each job next wakes the daemon, and firing the
/// slots that are due (the decisions are `TriggerPlan`'s).
extension Daemon {
    /// Recomputes when `id` next needs the daemon awake, and its `next_due` in results.
    func updateWakeTime(_ id: JobID, now: Date) {
        guard let plan = plans[id], let timeline = timelines[id], let definition = registry.definition(id) else {
            wakeTimes[id] = nil
            return
        }
        wakeTimes[id] = definition.enabled ? plan.wakeTime(timeline, now: now) : nil
        guard var result = results[id] else { return }
        var nextDue: [String: Date] = [:]
        if definition.enabled {
            for (kind, _) in plan.kinds {
                if let due = plan.nextDue(after: max(now, timeline.baseline(kind)))[kind] { nextDue[kind.rawValue] = due }
            }
        }
        result.nextDue = nextDue
        results[id] = result
    }

    func recomputeAllWakeTimes(now: Date) {
        for id in plans.keys {
            updateWakeTime(id, now: now)
            if let result = results[id] { saveResult(result) }
        }
    }

    /// Fires every slot due at `now`.
    func fireDueSlots(now: Date) {
        guard !stopping else { return }
        let due = wakeTimes.filter { $0.value <= now }.map(\.key).sorted()
        for id in due {
            guard let plan = plans[id], let timeline = timelines[id], let definition = registry.definition(id) else { continue }
            let (slots, updated) = plan.due(timeline, now: now)
            timelines[id] = updated
            for slot in slots {
                var extra: [String: JSONValue] = [:]
                if slot.catchup { extra["catchup"] = .bool(true) }
                let trigger = ExecutionTrigger(kind: slot.kind, scheduledFor: slot.time, extra: extra)
                let occurrence = OccurrenceKey.slot(job: id.rawValue, kind: slot.kind, at: slot.time)
                if slot.pastDeadline {
                    let execution = newExecutionID(job: id, dueAt: slot.time, kind: slot.kind)
                    let record = ExecutionRecord.queued(id: execution, job: definition.id.rawValue, occurrence: occurrence, trigger: trigger,
                                                        definitionSHA256: definition.sha256, command: definition.argv, host: host, at: now)
                    recordSkipped(record, kind: "deadline", message: "slot \(Timestamp.format(slot.time)) is past its starting_deadline")
                } else {
                    fire(definition, trigger: trigger, occurrence: occurrence)
                }
            }
            updateWakeTime(id, now: now)
            if let result = results[id] { saveResult(result) }
        }
    }

    /// `@reboot` jobs: once each time the daemon starts (not on reloads).
    func fireRebootJobs() {
        for definition in registry.definitions.sorted(by: { $0.id < $1.id }) where definition.enabled && definition.schedules.contains(.reboot) {
            let trigger = ExecutionTrigger(kind: .reboot, scheduledFor: startedAt)
            fire(definition, trigger: trigger, occurrence: .slot(job: definition.id.rawValue, kind: .reboot, at: startedAt))
        }
    }
}
