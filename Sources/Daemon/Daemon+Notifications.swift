import Cron
import Definitions
import Foundation
import Glibc
import Scheduling
import StateStore

/// Telling people (SPEC section 10): what to send is decided from each terminal record
/// (`NotificationPlan`), kept by `NotificationDesk` (durable in `notifications/` until
/// done), sent by `NotificationSender` on this loop, and each attempt is appended to the
/// execution's record. Nothing here waits: scheduling goes on while deliveries are out.
extension Daemon {
    var notificationsDirectory: String { store.layout.notificationsDirectory }

    func pendingNotificationsFile(_ id: ExecutionID) -> String { notificationsDirectory + "/\(id.rawValue).json" }

    /// A run's process is up: its `ping` gets `/start`.
    func planStartNotifications(_ record: ExecutionRecord) {
        guard let job = JobID(record.job), let ping = jobs.definition(job)?.ping else { return }
        notifications.started(record, deliveries: NotificationPlan.onStart(ping: ping), now: Date())
    }

    /// A terminal record: what its job's `notify` and `ping` ask for. Called before the
    /// job's result counts the record, so `recovery` sees the failures before it.
    func planNotifications(for record: ExecutionRecord) {
        guard let job = JobID(record.job) else { return }
        let definition = jobs.definition(job)
        let failuresBefore = results.existing(job)?.consecutiveFailures ?? 0
        let deliveries = NotificationPlan.onFinish(record, failuresBefore: failuresBefore, notify: definition?.notify, ping: definition?.ping)
        let (updated, pending) = notifications.finished(record, deliveries: deliveries, now: Date())
        if let updated { enqueueWrite(updated, to: store.layout.executionFile(job: record.job, id: record.id)) }
        if let pending { enqueueWrite(pending, to: pendingNotificationsFile(record.id)) }
    }

    /// Pending deliveries a previous daemon left: they carry on (at least once).
    func restorePendingNotifications() {
        let directory = notificationsDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names.sorted() {
            let path = directory + "/" + name
            if name.hasPrefix(".notifier-") {
                unlink(path)
                continue
            }
            guard !name.hasPrefix("."), name.hasSuffix(".json") else { continue }
            do {
                let pending = try StateJSON.decode(PendingNotifications.self, from: try AtomicFile.read(path), path: path)
                notifications.restore(pending)
                log.event("notifications_pending", ["job": pending.record.job, "execution": pending.record.id.rawValue,
                                                    "deliveries": "\(pending.deliveries.count)"])
            } catch {
                log.event("notifications_unreadable", ["file": path, "error": "\(error)"])
            }
        }
    }

    /// Sends what is due; outcomes come back through `notificationAttempted`.
    func sendDueNotifications(now: Date) {
        guard !notifications.isEmpty else { return }
        let due = notifications.takeDue(now: now)
        guard !due.isEmpty else { return }
        for item in due {
            let definition = JobID(item.record.job).flatMap { jobs.definition($0) }
            sender.send(item.delivery, record: item.record, definition: definition, environment: notificationEnvironment(definition)) { [self] attempt in
                notificationAttempted(item, outcome: attempt)
            }
        }
    }

    /// What a job's notifications expand `${VAR}` in webhook headers from and give a
    /// notifier: the daemon's environment for a job file owned by root or the daemon's
    /// user; for anyone else's (or a job gone) the minimal one its runs start from, so a
    /// header cannot send a value of the daemon's to a URL another user chose.
    private func notificationEnvironment(_ definition: JobDefinition?) -> [String: String] {
        guard let definition else { return Self.minimalEnvironment }
        guard !definition.expandsFromDaemonEnvironment else {
            return Self.environment.filter { !ServiceReporter.serviceManagerVariables.contains($0.key) }
        }
        return Self.minimalEnvironment.merging(definition.userEnvironment) { _, user in user }
    }

    /// A descriptor of the HTTP client or the notifiers' mailbox is ready.
    func handleNotificationReady(_ fd: Int32) {
        if http.owns(fd) { http.handle(fd) } else { sender.handleMailbox() }
    }

    /// Whether `fd` is the HTTP client's or the notifiers' mailbox.
    func ownsNotificationDescriptor(_ fd: Int32) -> Bool { http.owns(fd) || sender.owns(fd) }

    private func notificationAttempted(_ due: NotificationDesk.Due, outcome: NotificationAttempt) {
        let update = notifications.attempted(due, outcome: outcome, now: Date())
        let recorded = update.record?.notifications.last
        log.event(outcome.ok ? "notified" : "notify_failed", [
            "job": due.record.job, "execution": due.execution.rawValue, "target": outcome.target, "event": outcome.event,
            "attempt": "\(due.attempt)", "http_status": outcome.httpStatus.map { "\($0)" },
            "exit_code": outcome.exitCode.map { "\($0)" }, "error": outcome.error,
            "retry_at": recorded?.retryAt.map(Timestamp.format),
        ])
        // A record that history retention removed meanwhile is not written again.
        if let record = update.record {
            let path = store.layout.executionFile(job: record.job, id: record.id)
            if commit.writes(path) || access(path, F_OK) == 0 { enqueueWrite(record, to: path) }
        }
        if let pending = update.pending { enqueueWrite(pending, to: pendingNotificationsFile(due.execution)) }
        if update.removePending { commit.removeWhenDurable(pendingNotificationsFile(due.execution)) }
    }
}
