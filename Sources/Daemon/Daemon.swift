import CLinux
import Cron
import Definitions
import Execution
import Foundation
import Glibc
import HTTP
import Scheduling
import StateStore
import Watching

/// `jobdir run`: one thread waiting in epoll for inotify events, timers, signals, the run
/// supervisors' pidfds and report pipes and the HTTP client's sockets, routing each event
/// to the part it belongs to. The parts (`JobSet`, `RunTable`, `GroupCommit`, ...: the
/// table in ARCHITECTURE.md says what each owns and keeps true) hold the state and decide;
/// the `Daemon+*.swift` files route between them and perform the effects, whose writes
/// leave through the group commit at the end of each loop turn. Everything here is touched
/// on the loop thread only; each run is a `jobdir-supervisor` process, followed through
/// its pidfd and report pipe (`RunSupervisors`).
package final class Daemon {
    let configuration: DaemonConfiguration
    let log: DaemonLog
    let store: StateStore
    let jobDirectory: JobDirectory
    let host: String
    let startedAt = Date()

    // Edges, set up in `run()`.
    var edges: LoopEdges!
    var jobFiles: JobFileFeed!
    var inbox: RequestInbox!
    var supervisors: RunSupervisors!

    // Parts.
    var jobs = JobSet()
    var results: ResultBook
    var runs: RunTable
    var approvals = ApprovalDesk()
    var watches = PathWatches()
    var commit = GroupCommit()
    var history = HistoryBook()
    var shutdown = Shutdown()
    var health = StateHealth()
    var readers = StateAccess()
    var notifications: NotificationDesk
    var http: HTTPClient!
    var sender: NotificationSender!
    let reserve: StateReserve
    /// Nil when no directory only the daemon's user may write to could be had for them.
    var runtimeFiles: StateRuntimeFiles?
    var service: ServiceReporter!
    var unreadableFiles = UnreadableStateFiles()
    var fleet: FleetBook?
    /// During a full load: the directories of nested jobs' triggers already seen to in it
    /// (`shareTriggerDirectories`), each checked once per load, not once per job below it.
    var triggerDirectoriesShared: Set<Substring>?
    /// During a full load: the state directories' entries, listed once (`StateListing`).
    var stateListing: StateListing?
    /// Set by a commit of thousands of documents: the heap goes back to the system at the
    /// turn's end, once the commit's encodings are freed (`flushWrites`).
    var heapToTrim = false

    package init(configuration: DaemonConfiguration) {
        self.configuration = configuration
        log = DaemonLog(format: configuration.logFormat)
        let store = StateStore(root: configuration.stateDirectory)
        self.store = store
        jobDirectory = JobDirectory(root: configuration.jobsDirectory)
        reserve = StateReserve(layout: store.layout)
        runtimeFiles = StateRuntimeFiles(stateDirectory: store.layout.root)
        host = configuration.hostName ?? ProcessInfo.processInfo.hostName
        notifications = NotificationDesk(schedule: DeliverySchedule(firstDelay: configuration.notifyRetryDelay))
        runs = RunTable(limits: RunLimits(maxParallel: configuration.maxParallel, poolSizes: configuration.pools))
        results = ResultBook { _ in nil }
        // A result an earlier daemon wrote; one that cannot be read is reported (once) and ignored.
        results = ResultBook { [unowned self] id in
            let path = store.layout.resultFile(job: id.rawValue)
            return stateListing?.mayExist(path) == false ? nil : readDocument(JobResult.self, at: path)
        }
    }

    var stopping: Bool { shutdown.stopping }

    /// Runs until SIGTERM or SIGINT on the calling thread; returns the exit status.
    package func run() -> Int32 {
        // Named so that `top -H` and the benchmark tell it from the runtime's threads.
        _ = pthread_setname_np(pthread_self(), "jobdir-loop")
        let lock: DaemonLock
        do {
            _ = try store.prepare()
            lock = try DaemonLock(path: store.layout.lockFile)
        } catch let failure as DaemonLock.Failure {
            switch failure {
            case .heldBy(let pid):
                log.event("refused", ["reason": "another daemon (pid \(pid)) holds \(store.layout.lockFile)"])
                printError("jobdir run: another daemon (pid \(pid)) is running on \(configuration.stateDirectory); stop it first or use another --state\n")
            case .system(let error):
                printError("jobdir run: cannot lock \(store.layout.lockFile): \(error)\n")
            }
            return 1
        } catch {
            printError("jobdir run: cannot prepare the state directory: \(error)\n")
            return 1
        }
        defer { withExtendedLifetime(lock) {} }
        do {
            try setUpEdges()
        } catch {
            printError("jobdir run: \(error)\n")
            return 1
        }
        prepareRuntimeFiles()
        // What an earlier daemon owed first, then this daemon's own daemon.json over its.
        replayOwedWrites()
        if !health.isFailing {
            do {
                try store.writeDocument(daemonInfo(), to: store.layout.daemonFile)
                runtimeFiles?.clearHealth()
            } catch {
                // A state directory that refuses writes does not keep the daemon from starting:
                // it starts failing, and what it has to write is owed.
                commitRefused(GroupCommit.Batch(documents: [:], spawns: [], removals: []), error: error)
            }
        }
        log.event("started", ["pid": "\(getpid())", "jobs": configuration.jobsDirectory, "state": configuration.stateDirectory])
        reserve.make()
        service = ServiceReporter(configuration: configuration, store: store, startedAt: startedAt, log: log)
        if health.isFailing { service.stateHealth(writable: false, owedWrites: owedWrites) }
        loadAllJobs(reason: "start")
        recover()
        fleetAdoptRecoveredRuns()
        restorePendingNotifications()
        fireRebootJobs()
        consumeRequestFiles()
        consumeApprovalMarkers()
        drainQueue(now: Date())
        while true {
            let now = Date()
            fireDueRetries(now: now)
            expireApprovals(now: now)
            drainQueue(now: now)
            fireDueSlots(now: now)
            sendDueNotifications(now: now)
            fleetEndTurn()
            // A run left going when the daemon stops has its pid on disk for the next one.
            if stopping { writeDuePIDs(now: nil) }
            flushWrites()
            if heapToTrim {
                heapToTrim = false
                malloc_trim(0)
            }
            service.endTurn(running: runs.running.count, queued: runs.waiting.count + runs.owedRetries.count,
                            awaitingApproval: approvals.count, stopping: stopping)
            if stopping && (runs.isIdle || configuration.onStop == .detach) && fleetSettled() { break }
            armTimers()
            for fd in edges.loop.wait() { handleReady(fd) }
        }
        // Whatever is still owed is kept for the next daemon (it already is, after the last commit).
        keepOwedOutside()
        if !runs.isIdle {
            log.event("detached", ["runs": "\(runs.running.count)", "note": "their supervisors go on; the next daemon collects them"])
        }
        service.stopped()
        log.event("stopped", ["pid": "\(getpid())"])
        return 0
    }

    private func setUpEdges() throws {
        edges = try LoopEdges()
        jobFiles = JobFileFeed(root: configuration.jobsDirectory, inotify: edges.inotify)
        if !jobFiles.start() {
            log.event("jobs_directory_missing", ["path": configuration.jobsDirectory, "note": "watching for it to appear"])
        }
        supervisors = RunSupervisors(loop: edges.loop)
        http = try edges.loop.makeHTTPClient()
        sender = try NotificationSender(loop: edges.loop, http: http, scratchDirectory: notificationsDirectory, sendmail: configuration.sendmail)
        startFleet()
        inbox = RequestInbox(layout: store.layout, inotify: edges.inotify)
        if let error = inbox.start() {
            log.event("watch_failed", ["directory": store.layout.approvalsDirectory, "error": "\(error)"])
        }
    }

    private func handleReady(_ fd: Int32) {
        switch fd {
        case edges.inotify.descriptor:
            for event in edges.inotify.readEvents() { route(event) }
        case edges.signals.descriptor:
            for signal in edges.signals.take() { handle(signal: signal) }
        case edges.wallTimer.descriptor:
            if edges.wallTimer.acknowledge() == .clockChanged {
                log.event("clock_changed", ["note": "wall clock was set; recomputing due times"])
                recomputeAllWakeTimes(now: Date())
            }
        case edges.monotonicTimer.descriptor:
            _ = edges.monotonicTimer.acknowledge()
            handleMonotonicDeadlines()
        default:
            if supervisors.owns(fd) {
                for event in supervisors.handle(fd) { handle(event) }
            } else if ownsNotificationDescriptor(fd) {
                handleNotificationReady(fd)
            }
        }
    }

    /// An inotify event goes to the part whose watch it is.
    private func route(_ event: InotifyEvent) {
        if event.isOverflow {
            log.event("inotify_overflow", ["note": "events were dropped; rescanning"])
            loadAllJobs(reason: "overflow")
            consumeRequestFiles()
            return
        }
        if inbox.isApprovalsWatch(event.watch) {
            for request in inbox.requests(from: event) { handle(request) }
            return
        }
        // One directory can be both in the jobs tree and watched by a job's `watch`.
        if let directory = watches.directory(of: event.watch) {
            handleWatchEvent(event, directory: directory)
        }
        if jobFiles.owns(event.watch) {
            for change in jobFiles.changes(from: event) { handle(jobChange: change) }
        } else {
            for request in inbox.requests(from: event) { handle(request) }
        }
    }

    private func handle(signal: Int32) {
        switch signal {
        case SIGHUP:
            log.event("reload", ["reason": "SIGHUP"])
            loadAllJobs(reason: "SIGHUP")
        default:
            // `--on-stop cancel` cancels every run at once; `detach` leaves them to their supervisors.
            let grace = configuration.onStop == .cancel ? .zero : configuration.shutdownGrace
            guard shutdown.begin(now: TimerDescriptor.monotonicNow(), graceNanoseconds: UInt64(grace.milliseconds) * 1_000_000) else { return }
            log.event("stopping", ["signal": signal == SIGINT ? "SIGINT" : "SIGTERM", "running": "\(runs.running.count)",
                                   "on_stop": configuration.onStop.rawValue, "grace": DurationText.format(grace)])
        }
    }

    private func handleMonotonicDeadlines() {
        let now = TimerDescriptor.monotonicNow()
        for path in jobFiles.takeSettled(now: now) { reloadJobFile(path) }
        for settled in watches.takeSettled(now: now) { settleWatch(settled.job, changedPaths: settled.paths) }
        fleetTick()
        writeDuePIDs(now: now)
        if shutdown.graceOver(now: now) {
            for id in runs.running.keys.sorted() {
                log.event("stopping_run", ["execution": id.rawValue, "reason": "shutdown grace is over"])
                stopProcess(id)
            }
        }
    }

    private func armTimers() {
        edges.wallTimer.arm(at: stopping ? nil : nextWallWake())
        edges.monotonicTimer.arm(atNanoseconds: [jobFiles.nextDeadline, watches.nextDeadline, shutdown.wake, health.wake, fleetWake, runs.nextPIDWrite, results.nextHeldWrite].compactMap { $0 }.min())
    }

    /// The earliest wall-clock moment something is due: a slot, a retry, an approval's
    /// expiry, or a waiting execution's starting deadline.
    private func nextWallWake() -> Date? {
        // While nothing can be recorded, slots kept for catch-up wait for the disk, not the clock.
        let slots = health.isFailing ? jobs.nextWake(after: Date()) : jobs.nextWake
        return [slots, runs.nextRetryDue, approvals.nextExpiry, runs.queueWake, notifications.nextDue].compactMap { $0 }.min()
    }
}
