import CLinux
import Foundation
import Glibc
import SystemCalls
import Metrics
import Scheduling
import StateStore

/// Keeps `--metrics-file` current for node_exporter's textfile collector: the Prometheus
/// text of the daemon's state, written atomically (temp file, rename; not fsync'd), at most once a
/// second and only after a change.
///
/// The writing happens on a thread of its own that sleeps on a condition variable while
/// nothing changes, so an idle daemon has no timer armed and no wakeup for it; the event
/// loop only hands over each result it writes. When the daemon stops, one last write
/// says `jobdir_up 0`.
package final class MetricsFileWriter: @unchecked Sendable {
    package let path: String
    private let condition = NSCondition()
    private let finished = DispatchSemaphore(value: 0)
    private let onError: @Sendable (String) -> Void
    // Guarded by `condition`.
    private var snapshot: MetricsSnapshot
    private var results: [String: JobResult]
    private var changed = true
    private var stopping = false
    private var throttle: WriteThrottle

    /// Starts the writer thread; it writes the file at once with `initial` results.
    package init(path: String, startedAt: Date, version: String, commit: String, initial: [JobResult],
                 intervalNanoseconds: UInt64 = 1_000_000_000, onError: @escaping @Sendable (String) -> Void) {
        self.path = path
        self.onError = onError
        snapshot = MetricsSnapshot(up: true, startedAt: startedAt, version: version, commit: commit, jobs: [], stateHealth: (true, 0))
        results = Dictionary(initial.map { ($0.job, $0) }, uniquingKeysWith: { _, last in last })
        throttle = WriteThrottle(intervalNanoseconds: intervalNanoseconds)
        let thread = Thread { [self] in
            // Named so that `top -H`, the benchmark and the tests tell it from the loop.
            _ = pthread_setname_np(pthread_self(), "jobdir-metrics")
            writeLoop()
        }
        thread.start()
    }

    /// A job's result as just written to `results/`.
    package func update(_ result: JobResult) {
        condition.lock()
        results[result.job] = result
        changed = true
        condition.signal()
        condition.unlock()
    }

    /// Whether the state directory takes the daemon's writes, and how many it owes.
    package func updateStateHealth(writable: Bool, owedWrites: Int) {
        condition.lock()
        if snapshot.stateHealth?.writable != writable || snapshot.stateHealth?.owedWrites != owedWrites {
            snapshot.stateHealth = (writable, owedWrites)
            changed = true
            condition.signal()
        }
        condition.unlock()
    }

    /// Writes the file a last time with `jobdir_up 0` and returns once it is written.
    package func finish() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }

    private func writeLoop() {
        condition.lock()
        while !stopping {
            while !changed && !stopping { condition.wait() }
            if stopping { break }
            // Changes made until the interval is over go into the same write.
            let due = throttle.earliestWrite(now: Self.monotonicNow())
            while !stopping, Self.monotonicNow() < due {
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(due - Self.monotonicNow()) / 1e9))
            }
            if stopping { break }
            let text = render()
            changed = false
            condition.unlock()
            write(text)
            condition.lock()
            throttle.wrote(at: Self.monotonicNow())
        }
        snapshot.up = false
        snapshot.startedAt = nil
        snapshot.stateHealth = nil
        let text = render()
        condition.unlock()
        write(text)
        finished.signal()
    }

    /// The text of the current state; called with `condition` held.
    private func render() -> String {
        var current = snapshot
        current.jobs = Array(results.values)
        return PrometheusText.render(current)
    }

    private func write(_ text: String) {
        do {
            // Not fsync'd: it is written again after the next change, and a flush of the disk
            // once a second while jobs run would cost more than the metrics are worth.
            try AtomicFile.write(Array(text.utf8), to: path, permissions: 0o644, durable: false)
        } catch {
            onError("\(error)")
        }
    }

    private static func monotonicNow() -> UInt64 { Sys.monotonicNow() }
}
