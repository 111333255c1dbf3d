import Definitions

/// One message to send: where, and what it tells.
package struct PlannedDelivery: Hashable, Sendable, Codable {
    package var target: NotificationTarget
    /// `failure`, `recovery`, `success`, `always`, `skipped` or `start`.
    package var event: String

    package init(target: NotificationTarget, event: String) {
        self.target = target
        self.event = event
    }
}

/// What to send for an execution (SPEC section 10), decided from its record alone:
///
/// - `failure`: the last attempt of an occurrence ended `failed`, `timed_out` or
///   `interrupted` (no retry follows: the record carries no `retry_at`);
/// - `recovery`: a success when the job's failures before it outnumber this occurrence's
///   own earlier attempts (a failure that was told, or would have been);
/// - `success`; `skipped`; `always`: every terminal state except `skipped`.
///
/// Each target of `notify` gets one message when any of the record's events is in `on`,
/// labelled with the most specific of them. `ping` gets `/start` when the process starts,
/// itself on success and `/fail` on failure; nothing for other ends.
package enum NotificationPlan {
    /// The events a terminal record stands for. `failuresBefore` is the job's
    /// consecutive failures before this record.
    package static func events(of record: ExecutionRecord, failuresBefore: Int) -> Set<NotifyPolicy.Event> {
        if record.state == .skipped { return [.skipped] }
        guard record.state.isTerminal else { return [] }
        var events: Set<NotifyPolicy.Event> = [.always]
        if record.state.isFailure && record.trigger.retryAt == nil { events.insert(.failure) }
        if record.state == .succeeded {
            events.insert(.success)
            if failuresBefore > record.attempt - 1 { events.insert(.recovery) }
        }
        return events
    }

    /// The deliveries for a terminal record.
    package static func onFinish(_ record: ExecutionRecord, failuresBefore: Int, notify: NotifyPolicy?, ping: String?) -> [PlannedDelivery] {
        let events = events(of: record, failuresBefore: failuresBefore)
        var planned: [PlannedDelivery] = []
        if let notify, let event = [NotifyPolicy.Event.failure, .recovery, .success, .skipped, .always].first(where: { events.contains($0) && notify.on.contains($0) }) {
            if let webhook = notify.webhook {
                planned.append(PlannedDelivery(target: .webhook(url: webhook), event: event.rawValue))
            }
            if let command = notify.command { planned.append(PlannedDelivery(target: .command(argv: command), event: event.rawValue)) }
            if !notify.mail.isEmpty { planned.append(PlannedDelivery(target: .mail(addresses: notify.mail), event: event.rawValue)) }
        }
        if let ping {
            if events.contains(.success) {
                planned.append(PlannedDelivery(target: .ping(url: ping, suffix: ""), event: NotifyPolicy.Event.success.rawValue))
            } else if events.contains(.failure) {
                planned.append(PlannedDelivery(target: .ping(url: ping, suffix: "/fail"), event: NotifyPolicy.Event.failure.rawValue))
            }
        }
        return planned
    }

    /// The delivery when an execution's process has started: `ping`'s `/start`.
    package static func onStart(ping: String?) -> [PlannedDelivery] {
        guard let ping else { return [] }
        return [PlannedDelivery(target: .ping(url: ping, suffix: "/start"), event: "start")]
    }
}
