import Foundation
import Scheduling
import StateStore

// swift run -c release state-json-benchmark: the cost of writing a state document's bytes,
// Foundation's JSONEncoder against the encoder the daemon uses (the same bytes).

let due = Date(timeIntervalSince1970: 1_796_000_000)
let queued = ExecutionRecord.queued(
    id: ExecutionID(dueAt: due, trigger: .cron, random: 0x7f3a), job: "backup/nightly",
    occurrence: .slot(job: "backup/nightly", kind: .cron, at: due), trigger: ExecutionTrigger(kind: .cron, scheduledFor: due),
    definitionSHA256: String(repeating: "ab", count: 32), command: ["/usr/local/bin/backup", "--all", "/srv/data"],
    host: "db-1", at: due)
let running = try transition(queued, .start, at: due.addingTimeInterval(0.004))
let finished = try transition(running, .finish(RunResult(termination: .exited(code: 0))), at: due.addingTimeInterval(2.5))
var result = JobResult(job: "backup/nightly", file: "/etc/jobdir/jobs/backup/nightly.yaml", updatedAt: due)
result.noteStarted(running.id.rawValue, at: running.startedAt)

func measure(_ name: String, _ count: Int, _ body: () throws -> [UInt8]) rethrows -> Double {
    _ = try body()
    let clock = ContinuousClock()
    var bytes = 0
    let elapsed = try clock.measure { for _ in 0..<count { bytes &+= try body().count } }
    let microseconds = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
    print(String(format: "  %-32@ %8.2f µs per document", name as NSString, microseconds / Double(count)))
    return microseconds / Double(count)
}

let count = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 20_000
for (name, document) in [("finished record", finished as any Encodable), ("running record", running), ("result", result)] {
    print("\(name) (\(try StateJSON.encode(document, path: "-").count) bytes):")
    func both<T: Encodable>(_ value: T) throws {
        let same = try StateJSON.encode(value, path: "-") == StateJSON.encodeByFoundation(value)
        precondition(same, "the bytes differ")
        let foundation = try measure("Foundation JSONEncoder", count) { try StateJSON.encodeByFoundation(value) }
        let ours = try measure("StateJSON.encode", count) { try StateJSON.encode(value, path: "-") }
        print(String(format: "  %.1f× faster", foundation / ours))
    }
    try both(document)
}
