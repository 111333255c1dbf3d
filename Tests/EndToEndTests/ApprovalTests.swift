import Foundation
import Testing
import TestSupport

/// Approval gates decided by touching files (SPEC section 5).
@Suite(.serialized) struct ApprovalTests {
    typealias Setup = DaemonTests.Setup

    func pendingExecution(_ setup: Setup, _ job: String) async throws -> String {
        #expect(await waitUntil { setup.files.result(job) != nil })
        try setup.trigger(job)
        #expect(await waitUntil { setup.files.executions(job, state: "awaiting_approval").count == 1 })
        return try #require(setup.files.executions(job).first?["id"] as? String)
    }

    /// Drops a marker whole (rename), optionally owned by `owner`.
    func drop(_ setup: Setup, _ name: String, _ content: String = "", owner: String? = nil) throws {
        let temporary = setup.dir.url("marker.tmp")
        try Data(content.utf8).write(to: URL(fileURLWithPath: temporary))
        if let owner {
            let entry = try #require(getpwnam(owner))
            #expect(chown(temporary, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0)
        }
        #expect(rename(temporary, setup.state + "/approvals/" + name) == 0)
    }

    @Test func touchingApproveRunsTheJobAndRecordsTheDecision() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("deploy.yaml", "command: echo deployed\napproval: {timeout: 1h}\n")
        let daemon = try setup.start()
        let id = try await pendingExecution(setup, "deploy")
        let request = try #require(setup.files.json("approvals/\(id).json"))
        #expect(request["state"] as? String == "pending")
        #expect(request["job"] as? String == "deploy")
        #expect((request["decide"] as? [String: Any])?["approve"] as? [String] != nil)
        #expect((setup.files.result("deploy")?["pending_approvals"] as? [String]) == [id])

        try drop(setup, "\(id).approve", "looks good\n")
        #expect(await waitUntil { setup.files.executions("deploy", state: "succeeded").count == 1 }, "\(daemon.log)")
        let decided = try #require(setup.files.json("approvals/\(id).json"))
        #expect(decided["state"] as? String == "approved")
        #expect(decided["decided_by"] as? String == String(cString: getpwuid(geteuid()).pointee.pw_name))
        #expect(decided["comment"] as? String == "looks good")
        let record = try #require(setup.files.executions("deploy").first)
        #expect((record["approval"] as? [String: Any])?["state"] as? String == "approved")
        #expect(setup.files.log(record) == "deployed\n")
        #expect(!FileManager.default.fileExists(atPath: setup.state + "/approvals/\(id).approve"))
        #expect(daemon.stop() == 0)
    }

    @Test func rejectedAndExpiredApprovalsNeverRun() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("gate.yaml", "command: echo ran\napproval: required\n")
        try setup.job("quick.yaml", "command: echo ran\napproval: {timeout: 300ms}\n")
        let daemon = try setup.start()
        let id = try await pendingExecution(setup, "gate")
        try drop(setup, "\(id).reject", "not today")
        #expect(await waitUntil { setup.files.executions("gate", state: "rejected").count == 1 }, "\(daemon.log)")
        #expect(setup.files.json("approvals/\(id).json")?["state"] as? String == "rejected")
        // Its wait lasts 300 ms, too short to be sure of seeing it on a loaded machine: the
        // record's expiry (with the time it was requested) says it waited.
        #expect(await waitUntil { setup.files.result("quick") != nil })
        try setup.trigger("quick")
        #expect(await waitUntil { setup.files.executions("quick", state: "expired").count == 1 }, "\(daemon.log)")
        let expired = try #require(setup.files.executions("quick").first)
        #expect((expired["approval"] as? [String: Any])?["requested_at"] is String)
        #expect(setup.files.log(expired).isEmpty && expired["started_at"] is NSNull)
        #expect(setup.files.executions("gate").allSatisfy { setup.files.log($0).isEmpty })
        #expect(daemon.stop() == 0)
    }

    @Test func markersFromOthersOrSymlinksAreRefusedAndLeftInPlace() async throws {
        guard geteuid() == 0 else {
            print("skipped: markersFromOthersOrSymlinksAreRefusedAndLeftInPlace needs root to create files owned by another user")
            return
        }
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("gate.yaml", "command: echo ran\napproval: {approvers: [root]}\n")
        let daemon = try setup.start()
        let id = try await pendingExecution(setup, "gate")
        try drop(setup, "\(id).approve", owner: "nobody")
        #expect(await waitUntil { (setup.files.json("approvals/\(id).json")?["refusals"] as? [[String: Any]])?.count == 1 }, "\(daemon.log)")
        let refusal = try #require((setup.files.json("approvals/\(id).json")?["refusals"] as? [[String: Any]])?.first)
        #expect(refusal["owner"] as? String == "nobody")
        #expect(FileManager.default.fileExists(atPath: setup.state + "/approvals/\(id).approve"), "a refused marker stays")
        #expect(setup.files.executions("gate", state: "awaiting_approval").count == 1)
        #expect(daemon.log.contains("approval_refused"))
        #expect(unlink(setup.state + "/approvals/\(id).approve") == 0)

        let target = try setup.dir.write("elsewhere", "")
        #expect(symlink(target, setup.state + "/approvals/\(id).reject") == 0)
        #expect(await waitUntil { (setup.files.json("approvals/\(id).json")?["refusals"] as? [[String: Any]])?.count == 2 }, "\(daemon.log)")
        #expect(setup.files.executions("gate", state: "awaiting_approval").count == 1)
        #expect(unlink(setup.state + "/approvals/\(id).reject") == 0)

        // A file of root's written before the request, moved in (as a user could from a
        // directory of theirs), is not root's decision.
        let old = try setup.dir.write("old-notes", "notes")
        var times = [timespec(tv_sec: time(nil) - 3600, tv_nsec: 0), timespec(tv_sec: time(nil) - 3600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, old, &times, 0) == 0)
        #expect(rename(old, setup.state + "/approvals/\(id).approve") == 0)
        #expect(await waitUntil { (setup.files.json("approvals/\(id).json")?["refusals"] as? [[String: Any]])?.count == 3 }, "\(daemon.log)")
        #expect(daemon.log.contains("last modified before the approval was requested"), "\(daemon.log)")
        #expect(setup.files.executions("gate", state: "awaiting_approval").count == 1)
        #expect(daemon.stop() == 0)
    }

    @Test func groupMembersMayDecide() async throws {
        guard geteuid() == 0, let nobody = getpwnam("nobody"), let group = getgrgid(nobody.pointee.pw_gid) else {
            print("skipped: groupMembersMayDecide needs root and the user nobody")
            return
        }
        let groupName = String(cString: group.pointee.gr_name)
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("gate.yaml", "command: echo ran\napproval: {approvers: ['@\(groupName)']}\n")
        let daemon = try setup.start()
        let id = try await pendingExecution(setup, "gate")
        try drop(setup, "\(id).approve", owner: "nobody")
        #expect(await waitUntil { setup.files.executions("gate", state: "succeeded").count == 1 }, "\(daemon.log)")
        #expect(setup.files.json("approvals/\(id).json")?["decided_by"] as? String == "nobody")
        #expect(daemon.stop() == 0)
    }

    @Test func pendingApprovalsSurviveARestartAndMarkersDroppedMeanwhileCount() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("gate.yaml", "command: echo ran\napproval: required\n")
        let daemon = try setup.start()
        let id = try await pendingExecution(setup, "gate")
        #expect(daemon.stop() == 0)
        #expect(setup.files.executions("gate", state: "awaiting_approval").count == 1)
        try drop(setup, "\(id).approve")
        let restarted = try setup.start()
        #expect(await waitUntil { setup.files.executions("gate", state: "succeeded").count == 1 }, "\(restarted.log)")
        #expect(restarted.stop() == 0)
    }
}
