import Cron
import Foundation
import Scheduling
import StateStore
import TestSupport

/// A jobs directory and a state directory for the operator verbs' tests, filled the
/// way the daemon fills them: records and results written with `StateStore`.
struct StateFixture {
    let directory: TemporaryDirectory
    let store: StateStore
    let now = Date()

    init() throws {
        directory = try TemporaryDirectory("jobdir-cli")
        store = StateStore(root: directory.url("state"))
        try FileManager.default.createDirectory(atPath: directory.url("jobs"), withIntermediateDirectories: true)
        try store.prepare()
    }

    var jobs: String { directory.url("jobs") }
    var state: String { directory.url("state") }

    func remove() { directory.remove() }

    /// Writes `jobs/<id>.yaml`.
    func job(_ id: String, _ yaml: String) throws {
        try directory.write("jobs/\(id).yaml", yaml)
    }

    /// Writes an execution record; `minutesAgo` is when it was due (and created).
    @discardableResult
    func record(
        _ job: String, _ state: ExecutionState, minutesAgo: Double, kind: TriggerKind = .cron, random: UInt16 = 0x7f3a,
        exitCode: Int32? = nil, signal: Int32? = nil, error: ExecutionFailure? = nil, pid: Int32? = nil,
        approval: ApprovalSummary? = nil
    ) throws -> ExecutionRecord {
        let due = Timestamp.date(milliseconds: Timestamp.milliseconds(now.addingTimeInterval(-minutesAgo * 60)) / 1000 * 1000)
        let id = ExecutionID(dueAt: due, trigger: kind, random: random)
        var record = ExecutionRecord.queued(
            id: id, job: job, occurrence: .slot(job: job, kind: kind, at: due), trigger: ExecutionTrigger(kind: kind, scheduledFor: due),
            definitionSHA256: String(repeating: "a", count: 64), command: ["/bin/sh", "-c", "true"], host: "test-host", at: due
        )
        record.state = state
        if state == .running || state.isTerminal && state != .skipped {
            record.startedAt = due.addingTimeInterval(1)
            record.pid = pid ?? 4242
        }
        if state.isTerminal {
            record.finishedAt = due.addingTimeInterval(3.5)
            record.durationMilliseconds = 2_500
            record.exitCode = exitCode
            record.signal = signal
            record.error = error
        }
        if state != .queued && state != .awaitingApproval && state != .skipped {
            record.output = OutputSummary(log: store.layout.logRelativePath(job: job, id: id), bytes: 0, truncated: false, tail: "")
        }
        record.approval = approval
        try store.write(record)
        return record
    }

    /// Writes `results/<job>.json`.
    func result(_ job: String, _ edit: (inout JobResult) -> Void = { _ in }) throws {
        var result = JobResult(job: job, file: jobs + "/\(job).yaml", updatedAt: now)
        result.loaded = true
        edit(&result)
        try store.writeDocument(result, to: store.layout.resultFile(job: job))
    }

    /// Writes `approvals/<id>.json` as the daemon does.
    func approval(_ record: ExecutionRecord, state: String = "pending", decidedBy: String? = nil) throws {
        var file = ApprovalFile(execution: record.id.rawValue, job: record.job, command: record.command, requestedAt: record.createdAt,
                                expiresAt: record.createdAt.addingTimeInterval(86_400), approvers: [], stateDirectory: self.state)
        file.state = state
        if let decidedBy {
            file.decidedBy = decidedBy
            file.decidedAt = now
        }
        try store.writeDocument(file, to: store.layout.approvalFile(id: record.id))
    }

    /// Appends `text` to the record's log, creating it.
    func appendLog(_ record: ExecutionRecord, _ text: String) throws {
        let path = try store.prepareLog(job: record.job, id: record.id)
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    /// Runs `jobdir VERB ARGS --jobs --state` in UTC on an 80-column terminal.
    func run(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.jobdir(arguments + ["--jobs", jobs, "--state", state], environment: Self.environment)
    }

    static let environment = ["TZ": "UTC", "COLUMNS": "80", "PATH": "/usr/bin:/bin"]

    /// The contents of `state/<relative>`, or nil.
    func stateFile(_ relative: String) -> String? {
        try? String(contentsOfFile: store.layout.path(relative), encoding: .utf8)
    }

    /// Holds `jobdir.lock` as a daemon does, until `release()`.
    func holdLock() -> LockHolder { LockHolder(path: store.layout.lockFile) }
}

/// An exclusive flock on a file, held by this test process.
final class LockHolder {
    private var descriptor: Int32

    init(path: String) {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        precondition(descriptor >= 0 && flock(descriptor, LOCK_EX | LOCK_NB) == 0, "cannot lock \(path)")
    }

    func release() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    deinit { release() }
}

/// The JSON printed by a verb.
func parseJSON(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8))
}

/// A process left running while the test acts; its stdout is collected as it comes.
final class BackgroundRun: @unchecked Sendable {
    private let process: ChildProcess
    private let output = OutputBuffer()

    init(_ arguments: [String], executable: String = ProcessRunner.jobdirBinary) throws {
        process = try ChildProcess(executable, arguments, environment: StateFixture.environment, stdout: .pipe)
        let output = self.output
        process.onOutput { output.append($0) }
    }

    var stdout: String { output.text }
    var isRunning: Bool { process.isRunning }
    var status: Int32 { process.terminationStatus ?? -1 }

    func kill() { process.signal(SIGKILL) }
}

/// Bytes appended by the pipe's reader thread, read by the test.
final class OutputBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []

    func append(_ data: Data) { lock.withLock { bytes += data } }
    var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }
}
