import Cron
import Definitions
import Foundation
import Scheduling

/// Time-based triggers: when each job next wakes the daemon, and firing the
/// slots that are due (the decisions are `TriggerPlan`'s).
extension Daemon {
    /// Recomputes when `id` next needs the daemon awake, and its `next_due` in results.
    func updateWakeTime(_ id: JobID, now: Date) {
        guard let nextDue = jobs.updateWakeTime(id, now: now) else { return }
        results.update(id) { $0.nextDue = nextDue }
    }

    func recomputeAllWakeTimes(now: Date) {
        for id in jobs.plannedJobs { updateWakeTime(id, now: now) }
    }

    /// Fires every slot due at `now`.
    func fireDueSlots(now: Date) {
        guard !stopping else { return }
        for id in jobs.dueJobs(now: now) {
            // While nothing can be recorded, a job with catch-up keeps its slots for when
            // the disk takes writes again (as after downtime); the others are recorded skipped.
            if health.isFailing, let definition = jobs.definition(id), definition.catchup != .none { continue }
            guard let (definition, slots) = jobs.takeDueSlots(id, now: now) else { continue }
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
        }
    }

    /// `@reboot` jobs: once each time the daemon starts (not on reloads).
    func fireRebootJobs() {
        let rebootJobs = jobs.definitions.filter { $0.enabled && $0.schedules.contains(.reboot) }
        for definition in rebootJobs.sorted(by: { $0.id < $1.id }) {
            let trigger = ExecutionTrigger(kind: .reboot, scheduledFor: startedAt)
            fire(definition, trigger: trigger, occurrence: .slot(job: definition.id.rawValue, kind: .reboot, at: startedAt))
        }
    }
}
