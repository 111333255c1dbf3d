// Test fixture for StateStoreTests' crash test: rewrites one execution record with
// AtomicFile in a tight loop until it is killed.
// Usage: atomic-writer-fixture PATH FIRST-ATTEMPT [group]
// With `group`, through the group commit, which writes into the inodes it replaced.
import Foundation
import Scheduling
import StateStore

let arguments = CommandLine.arguments
guard arguments.count == 3 || (arguments.count == 4 && arguments[3] == "group"), let first = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: atomic-writer-fixture PATH FIRST-ATTEMPT [group]\n".utf8))
    exit(2)
}
let path = arguments[1], group = arguments.count == 4
let due = Date(timeIntervalSince1970: 1_795_397_400)
var record = ExecutionRecord.queued(
    id: ExecutionID(dueAt: due, trigger: .cron, random: 0x7f3a), job: "crash", occurrence: .slot(job: "crash", kind: .cron, at: due),
    trigger: ExecutionTrigger(kind: .cron, scheduledFor: due), definitionSHA256: String(repeating: "ab", count: 32),
    // Large enough (about 200 KiB) that a non-atomic writer would be caught half-way.
    command: (0..<2000).map { "argument-\($0)-" + String(repeating: "x", count: 80) }, host: "test", at: due)
var attempt = first
while true {
    record.attempt = attempt
    do {
        let bytes = try StateJSON.encode(record, path: path)
        if group {
            try AtomicFile.writeGroup([AtomicFile.Document(path: path, bytes: bytes, reusesSpares: true)])
        } else {
            try AtomicFile.write(bytes, to: path)
        }
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        exit(1)
    }
    attempt += 1
}
