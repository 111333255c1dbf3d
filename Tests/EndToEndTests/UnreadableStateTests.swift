import Foundation
import Testing
import TestSupport

/// State files that cannot be read: the daemon logs each once, `status` lists them, and
/// an unreadable record of a run that still goes on does not leave that run untracked.
@Suite(.serialized) struct UnreadableStateTests {
    static func isAlive(_ pid: Int32) -> Bool { DaemonTests.isAlive(pid) }

    static func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    @Test func unreadableRecordOfARunningExecutionStillEndsItsProcessGroup() async throws {
        let setup = try DaemonTests.Setup()
        defer { setup.dir.remove() }
        try setup.job("slow.yaml", "command: sleep 30 & sleep 30\nkill_grace: 1s\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("slow") != nil }, "\(daemon.log)")
        try setup.trigger("slow")
        #expect(await waitUntil { setup.files.executions("slow").contains { $0["pid"] is Int } }, "\(daemon.log)")
        let running = try #require(setup.files.executions("slow", state: "running").first)
        let pid = Int32(running["pid"] as! Int)
        let id = running["id"] as! String
        #expect(daemon.stop(signal: SIGKILL) != nil)
        #expect(Self.isAlive(pid), "the run outlives its daemon")

        // The record is cut short, as by a disk that lost its tail.
        let recordPath = setup.state + "/executions/slow/\(id).json"
        try Data("{\n  \"state\" : \"running\",\n  \"id\" : \"\(id)\",\n  \"pid\" : ".utf8).write(to: URL(fileURLWithPath: recordPath))

        let restarted = try setup.start()
        #expect(await waitUntil { !Self.isAlive(pid) }, "the run of the unreadable record is ended at restart: \(restarted.log)")
        #expect(await waitUntil { restarted.log.contains("ended_unrecorded_run") }, "\(restarted.log)")
        #expect(Self.occurrences(of: "state_file_unreadable file=\(recordPath)", in: restarted.log) == 1, "\(restarted.log)")
        #expect(FileManager.default.fileExists(atPath: recordPath), "the unreadable file is left for the operator")

        let status = try ProcessRunner.jobdir(["status", "--jobs", setup.jobs, "--state", setup.state])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("unreadable state files (1):"), "\(status.stdout)")
        #expect(status.stdout.contains(recordPath), "\(status.stdout)")
        #expect(restarted.stop() == 0)
    }

    @Test func unreadableResultAndApprovalFilesAreLoggedOnce() async throws {
        let setup = try DaemonTests.Setup()
        defer { setup.dir.remove() }
        try setup.job("gate.yaml", "command: echo gate\napproval:\n  timeout: 1h\n")
        try FileManager.default.createDirectory(atPath: setup.state + "/results", withIntermediateDirectories: true)
        let resultPath = setup.state + "/results/gate.json"
        try Data("{\"schema\": \"jobdir.result/v1\", \"job\": 7}".utf8).write(to: URL(fileURLWithPath: resultPath))
        let daemon = try setup.start()
        #expect(await waitUntil { daemon.log.contains("state_file_unreadable file=\(resultPath)") }, "\(daemon.log)")
        // The daemon then writes the job's result afresh.
        #expect(await waitUntil { setup.files.result("gate")?["job"] as? String == "gate" }, "\(daemon.log)")

        try setup.trigger("gate")
        #expect(await waitUntil { !setup.files.executions("gate", state: "awaiting_approval").isEmpty }, "\(daemon.log)")
        let id = try #require(setup.files.executions("gate").first?["id"] as? String)
        #expect(daemon.stop() == 0)
        let approvalPath = setup.state + "/approvals/\(id).json"
        try Data("not json at all".utf8).write(to: URL(fileURLWithPath: approvalPath))

        let restarted = try setup.start()
        #expect(await waitUntil { restarted.log.contains("state_file_unreadable file=\(approvalPath)") }, "\(restarted.log)")
        // The execution keeps waiting and can still be approved.
        #expect(await waitUntil { restarted.log.contains("still waiting after restart") }, "\(restarted.log)")
        let approve = try ProcessRunner.jobdir(["approve", id, "--jobs", setup.jobs, "--state", setup.state])
        #expect(approve.status == 0, "\(approve.stderr)")
        #expect(await waitUntil { setup.files.executions("gate", state: "succeeded").count == 1 }, "\(restarted.log)")
        #expect(Self.occurrences(of: "state_file_unreadable", in: restarted.log) == 1, "\(restarted.log)")
        #expect(restarted.stop() == 0)
    }
}
