import Cron
import Definitions
import Foundation

/// The time-based triggers of one job definition (`schedule`, `every`, `at`)
/// as slot schedules, and the pure decision of which slots fire at a given
/// moment (SPEC sections 2 and 3, catch-up and starting deadline included).
package struct TriggerPlan: Sendable {
    /// One slot to act on.
    package struct Slot: Sendable, Equatable {
        package var kind: TriggerKind
        package var time: Date
        /// Fired late, for a slot missed while the daemon was down or asleep.
        package var catchup: Bool
        /// Past its `starting_deadline`: to be recorded `skipped`, not started.
        package var pastDeadline: Bool
    }

    /// A slot this late is still on time; later ones were missed and follow `catchup`.
    /// (A shorter `starting_deadline` wins.)
    package static let onTimeGrace: TimeInterval = 60

    package let kinds: [(kind: TriggerKind, schedules: [any SlotSchedule])]
    private let catchup: CatchupPolicy
    private let maxCatchup: Int
    private let deadline: StartingDeadline?

    /// Builds the schedules; `firstSeen` anchors `every`; `at` times before `loadedAt` never fire.
    package init(definition: JobDefinition, firstSeen: Date, zone: TimeZoneRules, loadedAt: Date) {
        var cron: [any SlotSchedule] = []
        var every: [any SlotSchedule] = []
        for entry in definition.schedules {
            switch entry {
            case .cron(let expression): cron.append(CronSchedule(expression: expression, zone: zone))
            case .every(let interval): if let schedule = try? IntervalSchedule(anchor: firstSeen, interval: interval) { every.append(schedule) }
            case .reboot: break
            }
        }
        if let interval = definition.every, let schedule = try? IntervalSchedule(anchor: firstSeen, interval: interval) {
            every.append(schedule)
        }
        var kinds: [(TriggerKind, [any SlotSchedule])] = []
        if !cron.isEmpty { kinds.append((.cron, cron)) }
        if !every.isEmpty { kinds.append((.every, every)) }
        if !definition.at.isEmpty { kinds.append((.at, [OneShotSchedule(times: definition.at, now: loadedAt)])) }
        self.kinds = kinds
        catchup = definition.catchup
        maxCatchup = definition.maxCatchup
        deadline = definition.startingDeadline.map(StartingDeadline.init)
    }

    /// The next slot of each kind strictly after `instant`.
    package func nextDue(after instant: Date) -> [TriggerKind: Date] {
        var due: [TriggerKind: Date] = [:]
        for (kind, schedules) in kinds {
            if let next = schedules.compactMap({ $0.nextSlot(after: instant) }).min() { due[kind] = next }
        }
        return due
    }

    /// The earliest slot of any kind after the timeline's baselines that is not yet due at `now`,
    /// for arming the timer.
    package func wakeTime(_ timeline: JobTimeline, now: Date) -> Date? {
        kinds.compactMap { kind, _ in nextDue(after: max(now, timeline.baseline(kind)))[kind] }.min()
    }

    /// The slots to act on at `now`, and the timeline with every slot up to `now` dealt with.
    ///
    /// Of the slots since the baseline, the latest fires if it is on time; earlier ones,
    /// and a latest one that is not on time, were missed: `catchup` decides (`none`:
    /// dropped; `latest`: the latest fires; `all`: up to `max_catchup` fire, newest kept).
    /// Any slot to fire later than `starting_deadline` is marked `pastDeadline`.
    package func due(_ timeline: JobTimeline, now: Date) -> (slots: [Slot], timeline: JobTimeline) {
        var updated = timeline
        var slots: [Slot] = []
        let grace = min(Self.onTimeGrace, deadline.map { Double($0.limit.components.seconds) } ?? Self.onTimeGrace)
        for (kind, schedules) in kinds {
            let baseline = timeline.baseline(kind)
            var missed: [Date] = []
            for schedule in schedules {
                missed += MissedSlots.between(baseline, and: now, of: schedule, limit: max(maxCatchup, 1) + 1).slots
            }
            missed = Array(Set(missed)).sorted()
            guard let latest = missed.last else { continue }
            updated.lastSlot[kind] = latest
            var onTime: Date?
            if now.timeIntervalSince(latest) <= grace {
                onTime = latest
                missed.removeLast()
            }
            var chosen: [Date]
            switch catchup {
            case .none: chosen = []
            case .latest: chosen = missed.suffix(1)
            case .all: chosen = Array(missed.suffix(maxCatchup))
            }
            for time in chosen {
                slots.append(Slot(kind: kind, time: time, catchup: true, pastDeadline: deadline.map { !$0.allowsStart(of: time, at: now) } ?? false))
            }
            if let onTime {
                slots.append(Slot(kind: kind, time: onTime, catchup: false, pastDeadline: deadline.map { !$0.allowsStart(of: onTime, at: now) } ?? false))
            }
        }
        return (slots.sorted { $0.time < $1.time }, updated)
    }
}
