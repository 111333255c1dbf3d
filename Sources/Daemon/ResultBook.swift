import Definitions
import Foundation
import Scheduling

/// Every job's current result (`results/<job>.json`), the one owner of them: parts
/// change a result through `update`, and the group commit takes those that differ from
/// what was last written, once per loop turn.
///
/// Invariants: a result is written only when it changed in more than its timestamp;
/// after a failed commit nothing counts as written, so the next turn writes it all again.
struct ResultBook {
    /// Out of line, and shared by `current` and `written` while they agree: a result is
    /// about 300 bytes, and 10,000 jobs would otherwise keep two copies of each.
    private var current: [JobID: OutOfLine<JobResult>] = [:]
    private var written: [JobID: OutOfLine<JobResult>] = [:]
    private var dirty: Set<JobID> = []
    /// Jobs whose only change waiting is a run's start, held until then (`updateStart`).
    private var heldUntil: [JobID: UInt64] = [:]
    /// Reads the result an earlier daemon wrote, if any.
    private let loadWritten: (JobID) -> JobResult?

    init(loadWritten: @escaping (JobID) -> JobResult?) {
        self.loadWritten = loadWritten
    }

    subscript(job: JobID) -> JobResult? { current[job]?.value }

    /// The job's result in memory, else the one on disk (remembered as written).
    mutating func existing(_ job: JobID) -> JobResult? {
        if let stored = current[job] { return stored.value }
        guard let result = loadWritten(job) else { return nil }
        written[job] = OutOfLine(result)
        return result
    }

    /// Changes the job's result, if it has one.
    mutating func update(_ job: JobID, _ change: (inout JobResult) -> Void) {
        guard var result = current[job]?.value else { return }
        change(&result)
        current[job] = OutOfLine(result)
        dirty.insert(job)
        heldUntil[job] = nil
    }

    /// Changes the job's result, starting from `fresh` when it has none in memory.
    mutating func update(_ job: JobID, orCreate fresh: () -> JobResult, _ change: (inout JobResult) -> Void) {
        var result = current[job]?.value ?? fresh()
        change(&result)
        current[job] = OutOfLine(result)
        dirty.insert(job)
        heldUntil[job] = nil
    }

    /// Changes the job's result by a run's start. Unless another change waits to be
    /// written, the write is held until `due` (monotonic nanoseconds) or the job's next
    /// other change, whichever comes first: a run that ends sooner has its start and its
    /// end in one write of the result instead of two.
    mutating func updateStart(_ job: JobID, heldUntil due: UInt64, _ change: (inout JobResult) -> Void) {
        guard var result = current[job]?.value else { return }
        change(&result)
        current[job] = OutOfLine(result)
        let otherChangeWaits = dirty.contains(job) && heldUntil[job] == nil
        dirty.insert(job)
        if !otherChangeWaits { heldUntil[job] = min(heldUntil[job] ?? due, due) }
    }

    /// When the next held write is due (monotonic nanoseconds).
    var nextHeldWrite: UInt64? { heldUntil.values.min() }

    /// The results changed since the last call that differ from what was written, stamped
    /// `now`; they count as written from here on. Writes held past `monotonic` stay
    /// owed (all are taken when `monotonic` is nil: the daemon stops).
    mutating func takeChanged(now: Date, monotonic: UInt64? = nil) -> [JobResult] {
        var changed: [JobResult] = []
        var stillHeld: Set<JobID> = []
        for id in dirty.sorted() {
            if let monotonic, let due = heldUntil[id], due > monotonic {
                stillHeld.insert(id)
                continue
            }
            heldUntil[id] = nil
            guard var result = current[id]?.value else { continue }
            if let last = written[id]?.value, last.withoutTimestamp == result.withoutTimestamp {
                // The same content: `current` takes the written copy, and one is kept.
                current[id] = written[id]
                continue
            }
            result.updatedAt = now
            let stored = OutOfLine(result)
            current[id] = stored
            written[id] = stored
            changed.append(result)
        }
        dirty = stillHeld
        return changed
    }

    /// The commit failed: nothing is known to be on disk.
    mutating func forgetWritten() { written.removeAll() }
}

private extension JobResult {
    var withoutTimestamp: JobResult {
        var copy = self
        copy.updatedAt = .distantPast
        return copy
    }
}
