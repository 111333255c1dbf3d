import CLinux
import Cron
import Definitions
import Execution
import Foundation
import Glibc
import Scheduling
import StateStore
import Watching

/// `jobdir run`: one thread waiting in epoll for inotify events, timers,
/// signals and finished runs, and acting on them. All daemon state is
/// touched on that thread only; runs are supervised by `ProcessRunner`'s
/// own threads and report back through `messages`.
package final class Daemon {
    let configuration: DaemonConfiguration
    let log: DaemonLog
    let store: StateStore
    let jobs: JobDirectory
    let host: String
    let startedAt = Date()
    let runner = ProcessRunner()

    // Edges, set up in `run()`.
    var loop: EventLoop!
    var inotify: Inotify!
    var jobTree: JobTreeWatcher!
    var triggerTree: JobTreeWatcher!
    var cancelTree: JobTreeWatcher!
    var wallTimer: TimerDescriptor!
    var monotonicTimer: TimerDescriptor!
    var signals: SignalChannel!
    var messages: Wakeup<RunMessage>!

    // State.
    var registry = JobRegistry()
    var defaults: DefaultsFile = .absent
    var timelines: [JobID: JobTimeline] = [:]
    var plans: [JobID: TriggerPlan] = [:]
    var wakeTimes: [JobID: Date] = [:]
    var results: [JobID: JobResult] = [:]
    var writtenResults: [JobID: JobResult] = [:]
    var dirtyResults: Set<JobID> = []
    var runs: [ExecutionID: ActiveRun] = [:]
    /// Run policies: what runs and waits, and the limits.
    var snapshot = RunSnapshot()
    var waiting: [ExecutionID: WaitingExecution] = [:]
    var pendingRetries: [ExecutionID: OwedRetry] = [:]
    var approvals: [ExecutionID: PendingApproval] = [:]
    /// Group commit: documents written once per loop turn, then the runs whose
    /// records they are get spawned, then what had to wait for durability.
    var pendingWrites: [String: [UInt8]] = [:]
    var pendingSpawns: [(run: ActiveRun, request: SpawnRequest)] = []
    var afterFlush: [() -> Void] = []
    var history = HistoryBook()
    var unreadableFiles = UnreadableStateFiles()
    var cancelWhenStarted: Set<ExecutionID> = []
    /// Whether the waiting executions need a new `StartPlan`: something started, ended,
    /// queued or left the queue, or a waiting execution's deadline is reached.
    var queueChanged = true
    var nextQueueDeadline: Date?
    var chainCycleCache: Set<JobID>?
    var approvalsWatch: Int32 = -1
    let limits: RunLimits
    var pathDebounce = Debouncer<String>()
    var watchPatterns: [JobID: [WatchPattern]] = [:]
    var watchDirectories: [Int32: String] = [:]
    var watchesByDirectory: [String: Int32] = [:]
    var watchPending: [JobID: Set<String>] = [:]
    var watchDebounce = Debouncer<JobID>()
    var zones: [String: TimeZoneRules] = [:]
    let localZone = TimeZoneRules.current()
    var stopping = false
    var shutdownDeadline: UInt64?
    var shutdownKilled = false

    package init(configuration: DaemonConfiguration) {
        self.configuration = configuration
        log = DaemonLog(format: configuration.logFormat)
        store = StateStore(root: configuration.stateDirectory)
        jobs = JobDirectory(root: configuration.jobsDirectory)
        host = ProcessInfo.processInfo.hostName
        limits = RunLimits(maxParallel: configuration.maxParallel, poolSizes: configuration.pools)
    }

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
            try store.writeDocument(DaemonInfo(pid: getpid(), host: host, startedAt: startedAt, jobsDirectory: configuration.jobsDirectory, stateDirectory: configuration.stateDirectory), to: store.layout.daemonFile)
        } catch {
            printError("jobdir run: \(error)\n")
            return 1
        }
        log.event("started", ["pid": "\(getpid())", "jobs": configuration.jobsDirectory, "state": configuration.stateDirectory])
        loadAllJobs(reason: "start")
        recover()
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
            flushWrites()
            if stopping && runs.isEmpty { break }
            armTimers()
            for fd in loop.wait() { handleReady(fd) }
        }
        log.event("stopped", ["pid": "\(getpid())"])
        return 0
    }

    private func setUpEdges() throws {
        loop = try EventLoop()
        inotify = try Inotify()
        signals = try SignalChannel()
        messages = try Wakeup<RunMessage>()
        wallTimer = try TimerDescriptor(clock: CLOCK_REALTIME)
        monotonicTimer = try TimerDescriptor(clock: CLOCK_MONOTONIC)
        for fd in [inotify.descriptor, signals.descriptor, messages.descriptor, wallTimer.descriptor, monotonicTimer.descriptor] {
            try loop.add(fd)
        }
        jobTree = JobTreeWatcher(root: configuration.jobsDirectory, inotify: inotify)
        if !jobTree.start() {
            log.event("jobs_directory_missing", ["path": configuration.jobsDirectory, "note": "watching for it to appear"])
        }
        triggerTree = JobTreeWatcher(root: store.layout.triggersDirectory, inotify: inotify)
        triggerTree.start()
        cancelTree = JobTreeWatcher(root: store.layout.cancelDirectory, inotify: inotify)
        cancelTree.start()
        watchApprovals()
    }

    private func handleReady(_ fd: Int32) {
        switch fd {
        case inotify.descriptor:
            for event in inotify.readEvents() { handle(event) }
        case signals.descriptor:
            for signal in signals.take() { handle(signal: signal) }
        case messages.descriptor:
            for message in messages.take() { handle(message) }
        case wallTimer.descriptor:
            if wallTimer.acknowledge() == .clockChanged {
                log.event("clock_changed", ["note": "wall clock was set; recomputing due times"])
                recomputeAllWakeTimes(now: Date())
            }
        case monotonicTimer.descriptor:
            _ = monotonicTimer.acknowledge()
            handleMonotonicDeadlines()
        default:
            break
        }
    }

    private func handle(_ event: InotifyEvent) {
        if event.isOverflow {
            log.event("inotify_overflow", ["note": "events were dropped; rescanning"])
            loadAllJobs(reason: "overflow")
            consumeRequestFiles()
            return
        }
        if event.watch == approvalsWatch {
            handleApprovalEvent(event)
            return
        }
        // One directory can be both in the jobs tree and watched by a job's `watch`.
        if let directory = watchDirectories[event.watch] {
            handleWatchEvent(event, directory: directory)
        }
        if jobTree.owns(event.watch) {
            for change in jobTree.handle(event) { handle(jobChange: change) }
        } else if triggerTree.owns(event.watch) {
            for change in triggerTree.handle(event) {
                if case .written(let path) = change { consumeTrigger(path) }
            }
        } else if cancelTree.owns(event.watch) {
            for change in cancelTree.handle(event) {
                if case .written(let path) = change { consumeCancel(path) }
            }
        }
    }

    private func handle(signal: Int32) {
        switch signal {
        case SIGHUP:
            log.event("reload", ["reason": "SIGHUP"])
            loadAllJobs(reason: "SIGHUP")
        default:
            guard !stopping else { return }
            stopping = true
            let grace = configuration.shutdownGrace
            log.event("stopping", ["signal": signal == SIGINT ? "SIGINT" : "SIGTERM", "running": "\(runs.count)", "grace": DurationText.format(grace)])
            shutdownDeadline = TimerDescriptor.monotonicNow() + UInt64(grace.milliseconds) * 1_000_000
        }
    }

    private func handleMonotonicDeadlines() {
        let now = TimerDescriptor.monotonicNow()
        for path in pathDebounce.takeDue(now: now) { reloadJobFile(path) }
        for id in watchDebounce.takeDue(now: now) { settleWatch(id) }
        if let deadline = shutdownDeadline, now >= deadline, !shutdownKilled {
            shutdownKilled = true
            for (id, _) in runs {
                log.event("stopping_run", ["execution": id.rawValue, "reason": "shutdown grace is over"])
                if !runner.cancel(id: id.rawValue) { cancelWhenStarted.insert(id) }
            }
        }
    }

    private func armTimers() {
        wallTimer.arm(at: stopping ? nil : nextWallWake())
        var next = [pathDebounce.nextDeadline, watchDebounce.nextDeadline].compactMap { $0 }.min()
        if let deadline = shutdownDeadline, !shutdownKilled { next = min(next ?? deadline, deadline) }
        monotonicTimer.arm(atNanoseconds: next)
    }

    /// The earliest wall-clock moment something is due: a slot, a retry, or a waiting
    /// execution's starting deadline.
    private func nextWallWake() -> Date? {
        var candidates = [wakeTimes.values.min(), pendingRetries.values.map(\.due).min(),
                          approvals.values.compactMap(\.file.expiresAt).min()].compactMap { $0 }
        if let deadline = nextQueueDeadline, !waiting.isEmpty { candidates.append(deadline) }
        return candidates.min()
    }

    /// The zone for a job's `timezone` (cached; the local zone when none is set).
    func zone(for definition: JobDefinition) -> TimeZoneRules {
        guard let name = definition.timezone else { return localZone }
        if let zone = zones[name] { return zone }
        let zone = (try? TimeZoneRules.cached(named: name)) ?? localZone
        zones[name] = zone
        return zone
    }
}
