import Cron
import Foundation
import Testing
@testable import Scheduling

@Suite struct ExecutionRecordCodingTests {
    static let due = Timestamp.parse("2026-11-23T01:30:00.000Z")!
    static let id = ExecutionID(dueAt: due, trigger: .cron, random: 0x7f3a)

    static func queued() -> ExecutionRecord {
        .queued(id: id, job: "nightly-backup", occurrence: .slot(job: "nightly-backup", kind: .cron, at: due),
                trigger: ExecutionTrigger(kind: .cron, scheduledFor: due), definitionSHA256: "abc",
                command: ["/bin/sh", "-c", "pg_dump mydb > /backups/db.sql"], host: "backup-01", at: due)
    }

    static func encode(_ record: ExecutionRecord) throws -> [String: Any] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(record)
        return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func writesEveryFieldWithExplicitNulls() throws {
        let object = try Self.encode(Self.queued())
        let expected: Set<String> = ["schema", "id", "job", "occurrence", "trigger", "attempt", "retry_of", "state",
                                     "definition_sha256", "command", "created_at", "started_at", "finished_at", "duration_ms",
                                     "pid", "pid_start_time", "exit_code", "signal", "error", "output", "approval", "host", "rusage",
                                     "supervisor", "notifications", "user"]
        #expect(Set(object.keys) == expected)
        for key in ["retry_of", "signal", "error", "approval", "started_at", "finished_at", "pid", "exit_code", "output", "rusage", "supervisor", "user"] {
            #expect(object[key] is NSNull, "\(key) should be an explicit null")
        }
        #expect(object["schema"] as? String == "jobdir.execution/v1")
        #expect(object["id"] as? String == "20261123T013000.000Z-cron-7f3a")
        #expect(object["occurrence"] as? String == "nightly-backup:cron:2026-11-23T01:30:00.000Z")
        #expect(object["created_at"] as? String == "2026-11-23T01:30:00.000Z")
        #expect(object["state"] as? String == "queued")
        let trigger = try #require(object["trigger"] as? [String: Any])
        #expect(trigger["kind"] as? String == "cron")
        #expect(trigger["scheduled_for"] as? String == "2026-11-23T01:30:00.000Z")
    }

    @Test func roundTripsAFullRecord() throws {
        var record = Self.queued()
        record.trigger.extra = ["catchup": .bool(true), "changed_paths": .array([.string("a.txt")]),
                                "upstream": .object(["job": .string("x"), "execution": .string(Self.id.rawValue)])]
        record = try transition(record, .requestApproval(expiresAt: Self.due.addingTimeInterval(3600)), at: Self.due)
        record = try transition(record, .approve(by: "alice", comment: "ok"), at: Self.due.addingTimeInterval(1))
        record = try transition(record, .start, at: Self.due.addingTimeInterval(2))
        record = try transition(record, .processStarted(pid: 4242, startTime: 123_456), at: Self.due.addingTimeInterval(2))
        record = try transition(record, .finish(RunResult(
            termination: .exited(code: 0), durationMilliseconds: 1234,
            output: OutputSummary(log: "logs/nightly-backup/\(Self.id).log", bytes: 5120, truncated: false, tail: "done\n"),
            resourceUsage: ResourceUsage(userCPUMilliseconds: 10, systemCPUMilliseconds: 5, maxRSSKiB: 2048))),
            at: Self.due.addingTimeInterval(3.5))
        let data = try JSONEncoder().encode(record)
        let back = try JSONDecoder().decode(ExecutionRecord.self, from: data)
        #expect(back == record)
        let object = try Self.encode(record)
        let usage = try #require(object["rusage"] as? [String: Any])
        #expect(Set(usage.keys) == ["user_cpu_ms", "system_cpu_ms", "max_rss_kib"])
        #expect(object["pid_start_time"] as? Int == 123_456)
        let trigger = try #require(object["trigger"] as? [String: Any])
        #expect(trigger["catchup"] as? Bool == true)
        #expect((trigger["changed_paths"] as? [String]) == ["a.txt"])
        let approval = try #require(object["approval"] as? [String: Any])
        #expect(approval["decided_by"] as? String == "alice")
    }

    @Test func readsTheSpecExample() throws {
        let json = """
        {"schema": "jobdir.execution/v1", "id": "20261123T013000.000Z-cron-7f3a", "job": "nightly-backup",
         "occurrence": "nightly-backup:cron:2026-11-23T01:30:00.000Z",
         "trigger": {"kind": "cron", "scheduled_for": "2026-11-23T01:30:00.000Z"}, "attempt": 1, "retry_of": null,
         "state": "succeeded", "definition_sha256": "ff", "command": ["/bin/sh", "-c", "pg_dump mydb > /backups/db.sql"],
         "created_at": "2026-11-23T01:30:00.000Z", "started_at": "2026-11-23T01:30:00.002Z",
         "finished_at": "2026-11-23T01:30:01.236Z", "duration_ms": 1234, "pid": 4242, "exit_code": 0, "signal": null,
         "error": null, "output": {"log": "logs/nightly-backup/20261123T013000.000Z-cron-7f3a.log", "bytes": 5120,
         "truncated": false, "tail": "x"}, "approval": null, "host": "backup-01"}
        """
        let record = try JSONDecoder().decode(ExecutionRecord.self, from: Data(json.utf8))
        #expect(record.state == .succeeded)
        #expect(record.pid == 4242)
        #expect(record.pidStartTime == nil)
        #expect(record.resourceUsage == nil)
        #expect(record.output?.bytes == 5120)
        #expect(record.notifications.isEmpty, "a record from before notifications reads as one nobody was told of")
    }

    @Test func roundTripsNotificationAttempts() throws {
        var record = Self.queued()
        record.notifications = [
            NotificationAttempt(target: "webhook", event: "failure", attempt: 1, at: Self.due, ok: false, httpStatus: 500,
                                error: "HTTP 500", retryAt: Self.due.addingTimeInterval(40)),
            NotificationAttempt(target: "command", event: "failure", attempt: 1, at: Self.due, ok: true, exitCode: 0),
        ]
        let object = try Self.encode(record)
        let first = try #require((object["notifications"] as? [[String: Any]])?.first)
        #expect(Set(first.keys) == ["target", "event", "attempt", "at", "ok", "http_status", "exit_code", "error", "retry_at"])
        #expect(first["exit_code"] is NSNull)
        #expect(first["retry_at"] as? String == "2026-11-23T01:30:40.000Z")
        let decoded = try JSONDecoder().decode(ExecutionRecord.self, from: try JSONEncoder().encode(record))
        #expect(decoded == record)
    }

    @Test func refusesAnotherSchema() {
        let json = #"{"schema": "jobdir.result/v1"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ExecutionRecord.self, from: Data(json.utf8)) }
    }
}
