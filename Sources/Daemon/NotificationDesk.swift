import Foundation
import Scheduling

/// The deliveries not yet done, per execution: what is due when, what is in flight, and
/// the attempts made so far. A terminal record's deliveries are kept in
/// `notifications/<execution-id>.json` until each has succeeded or used up its attempts
/// (`DeliverySchedule`); a `ping/start` lives in memory only (after a restart its run
/// has ended or is followed by another start).
///
/// Invariants: a delivery is in flight at most once; an attempt's outcome is appended to
/// the execution's record exactly once; the pending file lists exactly the terminal
/// deliveries not yet done, and goes once none is left. A ping's `/start` never reaches
/// its server after the final ping (success or `/fail`): once the final ping is planned,
/// a `/start` not yet sent or waiting for a retry is dropped, and the final ping waits
/// while a `/start` is in flight.
struct NotificationDesk {
    /// A delivery handed out to be sent.
    struct Due {
        var execution: ExecutionID
        var slot: Int
        var delivery: PlannedDelivery
        var attempt: Int
        var record: ExecutionRecord
    }

    /// What an outcome changes on disk.
    struct Update {
        /// The execution record with the attempt appended, once the record is terminal.
        var record: ExecutionRecord?
        /// The pending file's new content; nil with `removePending` when none is left.
        var pending: PendingNotifications?
        var removePending: Bool
    }

    private struct Entry {
        var delivery: PendingNotifications.Delivery
        var persistent: Bool
        var inFlight = false
    }

    private struct Ledger {
        /// The record as last seen: running until the terminal one arrives.
        var record: ExecutionRecord
        var terminal: Bool
        var entries: [Int: Entry] = [:]
        var nextSlot = 0
        var pendingWritten = false
        var persistentLeft: Bool { entries.values.contains { $0.persistent } }
        var startPingInFlight: Bool { entries.values.contains { $0.inFlight && $0.delivery.planned.isStartPing } }

        /// Whether `entry` may not be sent yet: a final ping while `/start` is out.
        func isHeld(_ entry: Entry) -> Bool { entry.delivery.planned.isFinalPing && startPingInFlight }

        mutating func add(_ planned: PlannedDelivery, persistent: Bool, dueAt: Date) {
            entries[nextSlot] = Entry(delivery: PendingNotifications.Delivery(planned: planned, dueAt: dueAt), persistent: persistent)
            nextSlot += 1
        }

        var pending: PendingNotifications {
            let persistent = entries.keys.sorted().compactMap { entries[$0] }.filter(\.persistent).map(\.delivery)
            return PendingNotifications(record: record, deliveries: persistent)
        }
    }

    private var ledgers: [ExecutionID: Ledger] = [:]
    let schedule: DeliverySchedule

    init(schedule: DeliverySchedule) { self.schedule = schedule }

    var isEmpty: Bool { ledgers.isEmpty }

    /// The earliest due time of a delivery not in flight.
    var nextDue: Date? {
        ledgers.values.flatMap { ledger in
            ledger.entries.values.filter { !$0.inFlight && !ledger.isHeld($0) }.map(\.delivery.dueAt)
        }.min()
    }

    /// An execution's process started: its `ping/start` is due now.
    mutating func started(_ record: ExecutionRecord, deliveries: [PlannedDelivery], now: Date) {
        guard !deliveries.isEmpty else { return }
        var ledger = ledgers[record.id] ?? Ledger(record: record, terminal: false)
        for planned in deliveries { ledger.add(planned, persistent: false, dueAt: now) }
        ledgers[record.id] = ledger
    }

    /// An execution ended: its deliveries are due now. Returns the record with the
    /// attempts made before it ended (a start ping), when there were any, to be written
    /// again, and the pending file to write.
    mutating func finished(_ record: ExecutionRecord, deliveries: [PlannedDelivery], now: Date) -> (record: ExecutionRecord?, pending: PendingNotifications?) {
        var ledger = ledgers[record.id] ?? Ledger(record: record, terminal: true)
        let earlier = ledger.terminal ? [] : ledger.record.notifications
        ledger.record = record
        ledger.record.notifications = earlier + record.notifications.filter { !earlier.contains($0) }
        ledger.terminal = true
        if deliveries.contains(where: \.isFinalPing) {
            ledger.entries = ledger.entries.filter { $0.value.inFlight || !$0.value.delivery.planned.isStartPing }
        }
        for planned in deliveries { ledger.add(planned, persistent: true, dueAt: now) }
        guard !ledger.entries.isEmpty else {
            ledgers[record.id] = nil
            return (earlier.isEmpty ? nil : ledger.record, nil)
        }
        let pending = ledger.persistentLeft ? ledger.pending : nil
        if pending != nil { ledger.pendingWritten = true }
        ledgers[record.id] = ledger
        return (earlier.isEmpty ? nil : ledger.record, pending)
    }

    /// A pending file found at start: its deliveries carry on where they were.
    mutating func restore(_ pending: PendingNotifications) {
        var ledger = Ledger(record: pending.record, terminal: true)
        for delivery in pending.deliveries {
            ledger.entries[ledger.nextSlot] = Entry(delivery: delivery, persistent: true)
            ledger.nextSlot += 1
        }
        ledger.pendingWritten = true
        ledgers[pending.record.id] = ledger
    }

    /// The deliveries due at `now`, marked in flight.
    mutating func takeDue(now: Date) -> [Due] {
        var due: [Due] = []
        for id in ledgers.keys.sorted() {
            guard var ledger = ledgers[id] else { continue }
            for slot in ledger.entries.keys.sorted() {
                guard var entry = ledger.entries[slot], !entry.inFlight, !ledger.isHeld(entry), entry.delivery.dueAt <= now else { continue }
                entry.inFlight = true
                ledger.entries[slot] = entry
                due.append(Due(execution: id, slot: slot, delivery: entry.delivery.planned,
                               attempt: entry.delivery.attempts + 1, record: ledger.record))
            }
            ledgers[id] = ledger
        }
        return due
    }

    /// An attempt ended: it is appended to the record; the delivery is done, or due
    /// again after its backoff.
    mutating func attempted(_ due: Due, outcome: NotificationAttempt, now: Date) -> Update {
        guard var ledger = ledgers[due.execution], var entry = ledger.entries[due.slot] else {
            return Update(record: nil, pending: nil, removePending: false)
        }
        var attempt = outcome
        attempt.attempt = due.attempt
        entry.inFlight = false
        entry.delivery.attempts = due.attempt
        // A `/start` is not tried again once the final ping is planned: it would come after it.
        let superseded = entry.delivery.planned.isStartPing && ledger.entries.values.contains { $0.delivery.planned.isFinalPing }
        if !attempt.ok, !superseded, let next = schedule.nextAttempt(after: due.attempt, endedAt: now, httpStatus: attempt.httpStatus) {
            attempt.retryAt = next
            entry.delivery.dueAt = next
            ledger.entries[due.slot] = entry
        } else {
            ledger.entries[due.slot] = nil
        }
        ledger.record.notifications.append(attempt)
        var update = Update(record: ledger.terminal ? ledger.record : nil, pending: nil, removePending: false)
        if ledger.terminal {
            if ledger.persistentLeft {
                update.pending = ledger.pending
                ledger.pendingWritten = true
            } else if ledger.pendingWritten {
                update.removePending = true
                ledger.pendingWritten = false
            }
        }
        ledgers[due.execution] = ledger.entries.isEmpty && ledger.terminal ? nil : ledger
        return update
    }
}

extension PlannedDelivery {
    /// A ping's `/start`.
    var isStartPing: Bool {
        if case .ping(_, "/start") = target { return true }
        return false
    }

    /// A ping's success or `/fail`: what ends its run at the ping's server.
    var isFinalPing: Bool {
        if case .ping = target { return !isStartPing }
        return false
    }
}
