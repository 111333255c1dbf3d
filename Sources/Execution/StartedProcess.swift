import Foundation

/// A process that was spawned: handed to `onStarted` as soon as it exists, so the
/// daemon can record its pid before waiting.
package struct StartedProcess: Hashable, Sendable {
    package var pid: Int32
    /// Its process group and session id; equal to `pid` (each run is its own session).
    package var processGroup: Int32
    /// Kernel start time in clock ticks since boot (`/proc/PID/stat` field 22).
    package var startTime: UInt64?
    package var startedAt: Date
}
