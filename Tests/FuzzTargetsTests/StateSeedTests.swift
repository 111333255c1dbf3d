import Foundation
import Scheduling
import StateStore
import Testing

/// The state-file seeds are files the daemon accepts, so the fuzzer starts from inside
/// the decoders rather than at their first refusal.
struct StateSeedTests {
    static let directory = ReplayTests.fuzzDirectory + "/corpus/state-file/"

    static func file(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: directory + name)).dropFirst())
    }

    static func names(_ prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
    }

    @Test func recordsDecode() throws {
        #expect(Self.names("record-").count >= 9)
        for name in Self.names("record-") {
            _ = try StateJSON.decode(ExecutionRecord.self, from: try Self.file(name), path: name)
        }
        let running = try StateJSON.decode(ExecutionRecord.self, from: try Self.file("record-fleet-running.json"), path: "")
        #expect(running.supervisor != nil && running.user?.name == "report" && running.trigger.extra["fence"] == .int(12))
        let notified = try StateJSON.decode(ExecutionRecord.self, from: try Self.file("record-notified.json"), path: "")
        #expect(notified.notifications.count == 2)
    }

    @Test func pendingNotificationsDecode() throws {
        let pending = try StateJSON.decode(PendingNotifications.self, from: try Self.file("pending-notifications.json"), path: "")
        #expect(pending.deliveries.map(\.planned.target.name) == ["webhook", "mail", "ping/fail", "command"])
        #expect(pending.record.notifications.count == 2)
    }
}
