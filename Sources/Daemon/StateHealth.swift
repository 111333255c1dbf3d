import Foundation
import Glibc
import Scheduling

/// Whether the state directory takes writes. The one owner of the failing condition:
/// when it began, why, when to try the owed writes again, and how many slots were
/// skipped meanwhile.
///
/// Rules:
/// - A refused commit (ENOSPC, EDQUOT, EIO, EROFS, …) makes the directory failing; while
///   it fails no run starts (nothing could record it), and the owed writes are tried
///   again after a backoff of 50 ms doubling to at most 2 s, or at once when the daemon
///   has freed space itself.
/// - It is writable again when a commit lands with nothing left owed and, after running
///   out of space, when at least `spaceNeeded` bytes are free (the records of the runs
///   going on must fit, and the reserve is made again).
/// - Nothing is armed while it is healthy: an idle daemon on a healthy disk never wakes
///   for it.
/// - While it fails, what `daemon.json`, the health note and the metric say of the owed
///   writes is refreshed whenever their count changes (`show(owed:)`).
struct StateHealth {
    struct Failing: Equatable {
        var since: Date
        var error: String
        /// Whether the cause was space (ENOSPC, EDQUOT): then free space decides the end.
        var outOfSpace: Bool
    }

    static let firstBackoff: UInt64 = 50_000_000
    static let maxBackoff: UInt64 = 2_000_000_000

    private(set) var failing: Failing?
    private var backoff = StateHealth.firstBackoff
    /// Monotonic nanoseconds of the next try of the owed writes.
    private(set) var retryAt: UInt64?
    /// Slots recorded `skipped` (`state_unwritable`) since it began failing.
    private(set) var skippedSlots = 0
    /// The owed count last shown while failing.
    private var shownOwed: Int?

    /// Whether a refusal with `errno` is the disk running out of space (ENOSPC, EDQUOT):
    /// then free space decides when it ends. Any other (EIO, EROFS, …) ends when a commit
    /// lands with nothing owed.
    static func isOutOfSpace(errno: Int32?) -> Bool { errno == ENOSPC || errno == EDQUOT }

    var isFailing: Bool { failing != nil }

    /// A commit was refused at `now`; returns true when this begins the failing condition.
    mutating func commitRefused(_ error: String, outOfSpace: Bool, now: Date, monotonic: UInt64) -> Bool {
        let began = failing == nil
        if began {
            failing = Failing(since: now, error: error, outOfSpace: outOfSpace)
            backoff = Self.firstBackoff
            skippedSlots = 0
        } else {
            failing!.error = error
            failing!.outOfSpace = failing!.outOfSpace || outOfSpace
            backoff = min(backoff * 2, Self.maxBackoff)
        }
        retryAt = monotonic + backoff
        return began
    }

    /// Whether the owed writes may be tried at `monotonic`.
    func mayRetry(monotonic: UInt64) -> Bool { retryAt.map { monotonic >= $0 } ?? true }

    /// The daemon freed space (a prune, the reserve): try again at once.
    mutating func spaceFreed() {
        if failing != nil { retryAt = 0 }
    }

    /// A commit landed. With nothing owed and enough free space (`freeBytes`, asked only
    /// after running out of space) the failing condition ends and is returned.
    mutating func commitLanded(owed: Int, freeBytes: () -> UInt64?, spaceNeeded: UInt64) -> Failing? {
        guard let ended = failing, owed == 0 else { return nil }
        if ended.outOfSpace, let free = freeBytes(), free < spaceNeeded {
            retryAt = nil
            return nil
        }
        failing = nil
        retryAt = nil
        return ended
    }

    /// Still failing after running out of space, with nothing owed: look at free space
    /// again after the backoff (a periodic check that exists only while failing).
    mutating func checkSpaceLater(monotonic: UInt64) {
        guard failing != nil, retryAt == nil else { return }
        backoff = min(backoff * 2, Self.maxBackoff)
        retryAt = monotonic + backoff
    }

    mutating func noteSkippedSlot() { skippedSlots += 1 }

    /// Whether `owed` must be shown (it differs from what was shown while failing); from
    /// now on it is what is shown. Always false while healthy.
    mutating func show(owed: Int) -> Bool {
        guard failing != nil else {
            shownOwed = nil
            return false
        }
        defer { shownOwed = owed }
        return shownOwed != owed
    }

    /// When the loop must wake to try again.
    var wake: UInt64? { failing == nil ? nil : retryAt }
}

/// What a daemon replays of the writes an earlier one owed (`StateRuntimeFiles`). That
/// copy can be older than the files: a daemon stopped between a commit landing and the
/// copy going leaves documents that have landed, and been replaced, since. So a replayed
/// document never takes a file back in time.
extension StateHealth {
    /// A record goes forward only: never over a terminal one, never `running` back to
    /// `queued` or `awaiting_approval`, never a `running` record without a pid over one with.
    static func replays(_ owed: ExecutionRecord, over onDisk: ExecutionRecord?) -> Bool {
        guard let onDisk else { return true }
        if onDisk.state.isTerminal { return false }
        if owed.state.isTerminal { return true }
        if onDisk.state == .running { return owed.state == .running && (owed.pid != nil || onDisk.pid == nil) }
        return true
    }

    /// A result never replaces one updated later.
    static func replays(_ owed: JobResult, over onDisk: JobResult?) -> Bool {
        guard let onDisk else { return true }
        return owed.updatedAt >= onDisk.updatedAt
    }
}
