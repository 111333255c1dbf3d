import Foundation
import Glibc

/// Runs commands, each in its own session and process group, with bounded output,
/// timeouts and cancellation. All runners share one reaper and one I/O thread.
package struct ProcessRunner: Sendable {
    package init() {}

    /// Spawns `request` and waits (without blocking a thread of the cooperative pool)
    /// until it has ended, its output is in the log and it has been reaped.
    /// `onStarted` is called once the process exists, before the wait; it is not called
    /// when the spawn fails. Cancelling the calling task cancels the run (SIGTERM to its
    /// group, SIGKILL after the grace); the outcome then says `canceled`.
    package func run(_ request: SpawnRequest, onStarted: @Sendable (StartedProcess) -> Void = { _ in }) async -> RunOutcome {
        let supervisor = Supervisor.shared
        let token = supervisor.newToken()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                Spawner.start(request, token: token, supervisor: supervisor,
                              finish: { continuation.resume(returning: $0) }, onStarted: onStarted)
            }
        } onCancel: {
            supervisor.cancel(token: token)
        }
    }

    /// Cancels the running run(s) whose request id is `id`: SIGTERM to the process group,
    /// SIGKILL after the grace. Returns false if no such run is going on.
    /// Starts a run without Swift concurrency: the spawn happens on the calling thread
    /// (`onStarted` is called there), and `onFinished` is called once, on the runner's
    /// I/O thread. For callers that keep their own event loop and must not wake the
    /// runtime's thread pool. Cancel with `cancel(id:)`.
    package func start(_ request: SpawnRequest, onStarted: (StartedProcess) -> Void,
                       onFinished: @escaping @Sendable (RunOutcome) -> Void) {
        let supervisor = Supervisor.shared
        Spawner.start(request, token: supervisor.newToken(), supervisor: supervisor, finish: onFinished, onStarted: onStarted)
    }

    @discardableResult
    package func cancel(id: String) -> Bool {
        Supervisor.shared.cancel(id: id)
    }

    /// Whether this process adopts its orphaned descendants (PR_SET_CHILD_SUBREAPER),
    /// so grandchildren of runs never stay zombies of an init that does not reap.
    package static var adoptsOrphans: Bool { Supervisor.shared.adoptsOrphans }
}
