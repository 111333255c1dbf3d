import Cron
import Foundation
import Glibc
import Scheduling
@testable import StateStore

/// A fresh temp directory, removed by `remove()`.
struct TempDirectory {
    let path: String

    init() {
        var template = Array("/tmp/jobdir-state-test.XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    func file(_ name: String) -> String { path + "/" + name }

    func names(_ relative: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: relative.isEmpty ? path : file(relative))) ?? []).sorted()
    }

    func read(_ name: String) -> String { (try? String(contentsOfFile: file(name), encoding: .utf8)) ?? "" }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

let t0 = Timestamp.parse("2026-11-23T01:30:00.000Z")!

/// A queued record of `job` due `minutes` after t0.
func sampleRecord(job: String = "reports/weekly", minutes: Int = 0, random: UInt16 = 0x7f3a) -> ExecutionRecord {
    let due = t0.addingTimeInterval(Double(minutes) * 60)
    return .queued(id: ExecutionID(dueAt: due, trigger: .cron, random: random), job: job,
                   occurrence: .slot(job: job, kind: .cron, at: due), trigger: ExecutionTrigger(kind: .cron, scheduledFor: due),
                   definitionSHA256: "00", command: ["/bin/sh", "-c", "echo hi"], host: "test-host", at: due)
}

/// `record` run to completion at `minutes` after t0 (plus one second).
func finished(_ record: ExecutionRecord, exitCode: Int32 = 0) throws -> ExecutionRecord {
    let start = record.createdAt
    let running = try transition(record, .start, at: start)
    return try transition(running, .finish(RunResult(termination: .exited(code: exitCode))), at: start.addingTimeInterval(1))
}
