import Cron
import Foundation
import Scheduling

/// The outcome file a `jobdir-supervisor` writes when its run has ended
/// (`"schema": "jobdir.outcome/v1"`): how the command ended, its times, rusage and
/// output summary. Unknown fields are ignored, so a later v1 may add some.
package struct SupervisorOutcome: Hashable, Sendable, Decodable {
    package static let schema = "jobdir.outcome/v1"

    package enum Termination: String, Hashable, Sendable, Decodable {
        case exited, signaled
        case spawnFailed = "spawn_failed"
    }

    /// Why nothing ran; `kind` is a `SpawnFailure` kind.
    package struct Failure: Hashable, Sendable, Decodable {
        package var kind: String
        package var message: String
        package var path: String?
        package var errno: Int32?
    }

    package struct Output: Hashable, Sendable, Decodable {
        package var bytes: Int64
        package var truncated: Bool
        package var tail: String
        package var logError: String?

        enum CodingKeys: String, CodingKey {
            case bytes, truncated, tail
            case logError = "log_error"
        }
    }

    package var execution: String
    package var termination: Termination
    package var exitCode: Int32?
    package var signal: Int32?
    /// Set when the supervisor ended the command itself.
    package var stoppedBy: RunResult.StopCause?
    package var error: Failure?
    /// The command's pid (leader of its session and group); nil when nothing started.
    package var pid: Int32?
    package var supervisorPID: Int32?
    package var startedAt: Date
    package var finishedAt: Date
    package var durationMilliseconds: Int64
    package var resourceUsage: ResourceUsage?
    package var output: Output
    package var terminatedLeftovers: Bool
    /// The limit the kernel says ended the command (SIGXCPU, SIGXFSZ; memory a guess).
    package var limit: Limit?

    package struct Limit: Hashable, Sendable, Decodable {
        package var name: String
        package var message: String
    }

    enum CodingKeys: String, CodingKey {
        case execution, termination, signal, error, pid, output
        case exitCode = "exit_code"
        case stoppedBy = "stopped_by"
        case supervisorPID = "supervisor_pid"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case durationMilliseconds = "duration_ms"
        case resourceUsage = "rusage"
        case terminatedLeftovers = "terminated_leftovers"
        case limit
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        execution = try c.decode(String.self, forKey: .execution)
        termination = try c.decode(Termination.self, forKey: .termination)
        exitCode = try c.decodeIfPresent(Int32.self, forKey: .exitCode)
        signal = try c.decodeIfPresent(Int32.self, forKey: .signal)
        if let stop = try c.decodeIfPresent(String.self, forKey: .stoppedBy) {
            guard let cause = RunResult.StopCause(rawValue: stop) else {
                throw DecodingError.dataCorruptedError(forKey: .stoppedBy, in: c, debugDescription: "unknown stopped_by `\(stop)`")
            }
            stoppedBy = cause
        }
        error = try c.decodeIfPresent(Failure.self, forKey: .error)
        pid = try c.decodeIfPresent(Int32.self, forKey: .pid)
        supervisorPID = try c.decodeIfPresent(Int32.self, forKey: .supervisorPID)
        startedAt = try Self.time(c, .startedAt)
        finishedAt = try Self.time(c, .finishedAt)
        durationMilliseconds = try c.decode(Int64.self, forKey: .durationMilliseconds)
        resourceUsage = try c.decodeIfPresent(ResourceUsage.self, forKey: .resourceUsage)
        output = try c.decode(Output.self, forKey: .output)
        terminatedLeftovers = try c.decodeIfPresent(Bool.self, forKey: .terminatedLeftovers) ?? false
        limit = try c.decodeIfPresent(Limit.self, forKey: .limit)
        switch termination {
        case .exited where exitCode == nil, .signaled where signal == nil, .spawnFailed where error == nil:
            throw DecodingError.dataCorruptedError(forKey: .termination, in: c,
                                                   debugDescription: "`\(termination.rawValue)` without its detail")
        default: break
        }
    }

    private static func time(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Date {
        let text = try c.decode(String.self, forKey: key)
        guard let date = Timestamp.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not an RFC 3339 time: \(text)")
        }
        return date
    }

    /// The same outcome as the in-process runner reports it, for `runResult(logPath:)`.
    package var runOutcome: RunOutcome {
        let end: RunOutcome.Termination = switch termination {
        case .exited: .exited(code: exitCode ?? 0)
        case .signaled: .signaled(signal: signal ?? 0)
        case .spawnFailed: .spawnFailed(SpawnFailure(kind: error?.kind ?? SpawnFailure.other, message: error?.message ?? "",
                                                     path: error?.path, errno: error?.errno))
        }
        let stop: RunOutcome.StopReason? = switch stoppedBy {
        case .timeout: .timedOut
        case .cancel: .canceled
        case nil: nil
        }
        let process = pid.map { StartedProcess(pid: $0, processGroup: $0, startTime: nil, startedAt: startedAt) }
        return RunOutcome(termination: end, stoppedBy: stop, process: process, startedAt: startedAt, finishedAt: finishedAt,
                          duration: .milliseconds(durationMilliseconds), resourceUsage: resourceUsage,
                          output: CapturedOutput(bytes: output.bytes, truncated: output.truncated, tail: output.tail,
                                                 logError: output.logError),
                          terminatedLeftovers: terminatedLeftovers,
                          limitReached: limit.map { ExecutionFailure(kind: "limit", message: $0.message) })
    }
}
