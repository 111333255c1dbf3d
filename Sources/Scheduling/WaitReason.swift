import Cron
import Foundation

/// Why an execution waits instead of starting; its `description` is the `reason`
/// written beside the execution in `results/<job>.json`.
package enum WaitReason: Hashable, Sendable, CustomStringConvertible {
    /// Waits behind a running or earlier waiting occurrence of the same job
    /// (`overlap: skip`, `queue` or `replace` run one at a time; every job is first in, first out).
    case overlap
    /// Every slot of the pool is taken.
    case pool(String)
    /// `--max-parallel` runs are going.
    case maxParallel
    /// A retry, due at this time.
    case retry(at: Date)
    /// `overlap: replace`: waits until the runs it replaces have ended.
    case replacing

    /// `overlap`, `pool NAME`, `max-parallel`, `retry at <RFC 3339>` or `replacing`.
    package var description: String {
        switch self {
        case .overlap: "overlap"
        case .pool(let name): "pool \(name)"
        case .maxParallel: "max-parallel"
        case .retry(let time): "retry at \(Timestamp.format(time))"
        case .replacing: "replacing"
        }
    }
}
