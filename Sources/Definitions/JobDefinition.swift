import Cron
import Foundation

/// A job as its file defines it, with `_defaults.yaml` merged in and every
/// value checked. Built only by `JobFileParser`.
package struct JobDefinition: Sendable, Equatable {
    package var id: JobID
    /// The job file's path as discovery found it.
    package var file: String
    /// SHA-256 of the job file's bytes and the defaults it was merged with.
    package var sha256: String
    package var description: String?
    package var command: JobCommand
    package var shell: String
    /// Absolute, or relative to the daemon's working directory when the job file's path was.
    package var workdir: String
    /// Environment entries in file order; values may hold `${VAR}` (see `EnvironmentExpansion`).
    package var env: [EnvironmentEntry]
    package var envFiles: [String]
    package var schedules: [ScheduleEntry]
    /// IANA zone name for `schedules`; nil means the daemon's local zone.
    package var timezone: String?
    package var every: Duration?
    package var at: [Date]
    package var watch: WatchTrigger?
    package var after: [AfterTrigger]
    package var enabled: Bool
    package var timeout: Duration?
    package var killGrace: Duration
    package var retries: RetryPolicy
    package var overlap: OverlapPolicy
    package var maxQueued: Int
    package var pool: String?
    package var catchup: CatchupPolicy
    package var maxCatchup: Int
    package var startingDeadline: Duration?
    package var approval: ApprovalPolicy?
    package var output: OutputPolicy
    package var history: HistoryPolicy
    /// Labels sorted by key.
    package var labels: [String: String]
    /// Who is told when an execution ends (SPEC section 10).
    package var notify: NotifyPolicy? = nil
    /// A healthchecks.io-style URL: `/start` on start, itself on success, `/fail` on failure.
    package var ping: String? = nil
    /// `user:` as written; nil runs as the file's owner (SPEC section 11).
    package var user: NamedPrincipal?
    /// `group:` as written; nil means the run user's primary group.
    package var group: NamedPrincipal?
    /// The run's file mode creation mask (default 022).
    package var umask: UInt32 = 0o022
    package var limits = ResourceLimits()
    /// Users and `@group`s who may trigger and cancel the job besides its owner and root.
    package var operators: [String] = []
    /// `fleet:` as written; nil means the fleet's default, `once` (SPEC section 13).
    package var fleet: FleetMode? = nil
    /// `hosts:` label selector: the job runs only on hosts whose labels hold every pair.
    package var hosts: [String: String] = [:]
    /// Who runs it, resolved by `JobOwnership` from the file's owner and `user:`/`group:`;
    /// nil when the parser alone built the definition.
    package var runAs: RunIdentity?
    /// The uid owning the job file when it was read; nil when the parser alone built the
    /// definition.
    package var fileOwner: UInt32?

    /// The argv a run executes: `[shell, "-c", text]` or the list as written.
    package var argv: [String] {
        switch command {
        case .shell(let text): return [shell, "-c", text]
        case .argv(let argv): return argv
        }
    }

    /// Whether anything but a manual trigger can fire this job.
    package var hasTrigger: Bool {
        !schedules.isEmpty || every != nil || !at.isEmpty || watch != nil || !after.isEmpty
    }
}

package enum JobCommand: Sendable, Equatable {
    /// Run as `SHELL -c TEXT`.
    case shell(String)
    /// Run directly, no shell.
    case argv([String])
}

package struct EnvironmentEntry: Sendable, Equatable {
    package var name: String
    package var value: String
}

/// One entry of `schedule`.
package enum ScheduleEntry: Sendable, Equatable {
    case cron(CronExpression)
    /// `@every DURATION`, the same as the `every` key.
    case every(Duration)
    /// `@reboot`: once each time the daemon starts.
    case reboot

    // Written out: the synthesized comparison crashed at run time (Swift 6.3.1).
    package static func == (a: ScheduleEntry, b: ScheduleEntry) -> Bool {
        switch (a, b) {
        case (.cron(let x), .cron(let y)): return x == y
        case (.every(let x), .every(let y)): return x == y
        case (.reboot, .reboot): return true
        default: return false
        }
    }
}

package struct WatchTrigger: Sendable, Equatable {
    package enum Event: String, Sendable, CaseIterable {
        case create, modify, delete, move
    }

    /// Paths or globs, as written (relative to the job file's directory unless absolute).
    package var paths: [String]
    package var events: Set<Event>
    package var debounce: Duration
}

package struct AfterTrigger: Sendable, Equatable {
    package enum Condition: String, Sendable, CaseIterable {
        case success, failure, always
    }

    package var job: JobID
    package var on: Condition
    package var mark: SourceMark
}

package struct RetryPolicy: Sendable, Equatable {
    package var max: Int
    package var backoff: Duration
    package var maxBackoff: Duration

    package static let none = RetryPolicy(max: 0, backoff: .seconds(10), maxBackoff: .seconds(600))
}

package enum OverlapPolicy: String, Sendable, CaseIterable {
    case skip, queue, allow, replace
}

package enum CatchupPolicy: String, Sendable, CaseIterable {
    case none, latest, all
}

package struct ApprovalPolicy: Sendable, Equatable {
    /// User names, or `@group` for members of a group; empty means the daemon's user or root.
    package var approvers: [String]
    package var timeout: Duration
}

package struct OutputPolicy: Sendable, Equatable {
    package var maxBytes: Int
}

package struct HistoryPolicy: Sendable, Equatable {
    package var keep: Int
    package var maxAge: Duration?
}
