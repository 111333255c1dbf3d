import Foundation
import Glibc
import Testing
import TestSupport

/// Requests dropped by users other than the daemon's (SPEC sections 5 and 11): the drop
/// boxes take them, and the daemon acts only on those their owners may make.
@Suite(.serialized, .enabled(if: geteuid() == 0, "needs root: the requests are made as the user nobody"))
struct RequestsFromOthersTests {
    typealias Setup = DaemonTests.Setup

    func setup() throws -> Setup {
        let setup = try Setup()
        chmod(setup.dir.path, 0o755)
        return setup
    }

    /// `jobdir ARGS` as nobody (group nogroup, no other groups), through setpriv.
    func asNobody(_ setup: Setup, _ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", ProcessRunner.jobdirBinary]
                              + arguments + ["--jobs", setup.jobs, "--state", setup.state])
    }

    func awaiting(_ setup: Setup, _ job: String, _ daemon: DaemonProcess) async throws -> String {
        try setup.trigger(job)
        #expect(await waitUntil { setup.files.executions(job, state: "awaiting_approval").count == 1 }, "\(daemon.log)")
        return try #require(setup.files.executions(job).first?["id"] as? String)
    }

    @Test func nobodyMayApproveForItsGroupAndNotOtherwise() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try setup.job("ours.yaml", "command: echo deployed\napproval: {approvers: ['@nogroup']}\n")
        try setup.job("theirs.yaml", "command: echo deployed\napproval: {approvers: [root]}\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("ours") != nil && setup.files.result("theirs") != nil }, "\(daemon.log)")

        let ours = try await awaiting(setup, "ours", daemon)
        let approved = try asNobody(setup, ["approve", ours, "--comment", "looks good"])
        #expect(approved.status == 0, "\(approved.stderr)")
        #expect(await waitUntil { setup.files.executions("ours", state: "succeeded").count == 1 }, "\(daemon.log)")
        let decided = try #require(setup.files.executions("ours").first?["approval"] as? [String: Any])
        #expect(decided["decided_by"] as? String == "nobody")

        let theirs = try await awaiting(setup, "theirs", daemon)
        _ = try asNobody(setup, ["approve", theirs])
        let marker = setup.state + "/approvals/\(theirs).approve"
        #expect(await waitUntil { (setup.files.json("approvals/\(theirs).json")?["refusals"] as? [Any])?.count == 1 }, "\(daemon.log)")
        #expect(FileManager.default.fileExists(atPath: marker), "a refused marker is left in place")
        #expect(setup.files.executions("theirs").first?["state"] as? String == "awaiting_approval")
        // The refused marker stays nobody's: root's approval cannot take its name, and says why.
        let blocked = try ProcessRunner.jobdir(["approve", theirs, "--jobs", setup.jobs, "--state", setup.state])
        #expect(blocked.status == 1)
        #expect(blocked.stderr.contains("already exists and belongs to nobody, not to you"), "\(blocked.stderr)")
        #expect(daemon.stop() == 0)
    }

    @Test func nobodyMayTriggerAndCancelOnlyJobsItOperates() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try setup.job("closed.yaml", "command: echo ran\n")
        try setup.job("open.yaml", "command: sleep 30\noperators: [nobody]\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("closed") != nil && setup.files.result("open") != nil }, "\(daemon.log)")

        let refused = try asNobody(setup, ["trigger", "closed"])
        #expect(refused.status == 0, "the drop box takes it: \(refused.stderr)")
        #expect(await waitUntil { daemon.log.contains("trigger_refused") }, "\(daemon.log)")
        #expect(daemon.log.contains("owned by nobody, who is neither the job's user, root, nor one of its operators (the job lists no operators)"))
        #expect(setup.files.executions("closed").isEmpty, "it did not run")
        let left = try FileManager.default.contentsOfDirectory(atPath: setup.state + "/triggers").filter { $0.hasPrefix("closed") }
        #expect(left.count == 1, "a refused trigger is left in place")
        let status = try ProcessRunner.jobdir(["status", "--json", "--jobs", setup.jobs, "--state", setup.state])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let refusals = try #require(object["refused_requests"] as? [[String: Any]], "\(status.stdout)")
        #expect(refusals.first?["owner"] as? String == "nobody" && refusals.first?["job"] as? String == "closed")

        let allowed = try asNobody(setup, ["trigger", "open"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(await waitUntil { setup.files.executions("open", state: "running").first?["pid"] is Int }, "\(daemon.log)")
        let id = try #require(setup.files.executions("open").first?["id"] as? String)

        // Nobody's logs are nobody else's: not even an operator reads them through the state dir.
        let logs = try asNobody(setup, ["logs", id])
        #expect(logs.status == 1)
        #expect(logs.stderr.contains("Permission denied; records and logs are readable only by the daemon's user (root): another user's run is not yours to read"), "\(logs.stderr)")

        let cancel = try asNobody(setup, ["cancel", id])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(await waitUntil(timeout: .seconds(20)) { setup.files.executions("open", state: "canceled").count == 1 }, "\(daemon.log)")
        #expect(daemon.stop() == 0)
    }
}
