import Foundation
import Testing
import TestSupport

/// The operator's verbs against a real `jobdir run`: the request files they drop are the
/// ones the daemon acts on, and what they print matches what it wrote.
@Suite(.serialized) struct DaemonCommandTests {
    typealias Setup = DaemonTests.Setup

    private func jobdir(_ setup: Setup, _ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.jobdir(arguments + ["--jobs", setup.jobs, "--state", setup.state], environment: StateFixture.environment)
    }

    @Test func triggerStatusLogsAndCancelWhileTheDaemonRuns() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let go = setup.dir.url("go")
        try setup.job("slow.yaml", """
            command: echo started $WHO; while [ ! -e \(go) ]; do sleep 0.02; done; echo done
            overlap: queue

            """)
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("slow") != nil }, "\(daemon.log)")

        let trigger = try jobdir(setup, ["trigger", "slow", "--env", "WHO=cli"])
        #expect(trigger.status == 0)
        #expect(trigger.stderr.isEmpty, "a daemon holds the lock: no waiting notice")
        #expect(await waitUntil { setup.files.executions("slow", state: "running").count == 1 }, "\(daemon.log)")
        let running = try #require(setup.files.executions("slow").first?["id"] as? String)
        #expect(try jobdir(setup, ["trigger", "slow"]).status == 0)
        #expect(await waitUntil { setup.files.executions("slow", state: "queued").count == 1 }, "\(daemon.log)")
        let queued = try #require(setup.files.executions("slow", state: "queued").first?["id"] as? String)

        let status = try jobdir(setup, ["status"])
        #expect(status.stdout.hasPrefix("daemon: running (pid \(daemon.pid) on "), "\(status.stdout)")
        #expect(status.stdout.contains("running (1):") && status.stdout.contains(running))
        #expect(status.stdout.contains("queued (1):") && status.stdout.contains(queued))

        let cancel = try jobdir(setup, ["cancel", queued])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(await waitUntil { setup.files.executions("slow", state: "canceled").count == 1 }, "\(daemon.log)")
        let again = try jobdir(setup, ["cancel", queued])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already ended: canceled"))

        let follow = try BackgroundRun(["logs", running, "--follow", "--jobs", setup.jobs, "--state", setup.state])
        defer { follow.kill() }
        #expect(await waitUntil { follow.stdout == "started cli\n" })
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        #expect(await waitUntil { !follow.isRunning }, "--follow ends with the execution")
        #expect(follow.status == 0)
        #expect(await waitUntil { follow.stdout == "started cli\ndone\n" }, "\(follow.stdout)")
        #expect(setup.files.executions("slow", state: "succeeded").count == 1)
        #expect(daemon.stop() == 0)
    }
}

extension DaemonCommandTests {
    @Test func approveAndRejectReachTheDaemon() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("deploy.yaml", "command: echo deployed\napproval: {timeout: 1h}\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("deploy") != nil }, "\(daemon.log)")

        #expect(try jobdir(setup, ["trigger", "deploy"]).status == 0)
        #expect(await waitUntil { setup.files.executions("deploy", state: "awaiting_approval").count == 1 }, "\(daemon.log)")
        let status = try jobdir(setup, ["status", "deploy"])
        #expect(status.stdout.contains("awaiting approval (1):"), "\(status.stdout)")
        let approve = try jobdir(setup, ["approve", "deploy", "--comment", "ship it"])
        #expect(approve.status == 0, "\(approve.stderr)")
        #expect(await waitUntil { setup.files.executions("deploy", state: "succeeded").count == 1 }, "\(daemon.log)")
        let approved = try #require(setup.files.executions("deploy").first?["id"] as? String)
        #expect(setup.files.json("approvals/\(approved).json")?["comment"] as? String == "ship it")
        let twice = try jobdir(setup, ["reject", approved])
        #expect(twice.status == 1)
        #expect(twice.stderr.contains("was already approved by "))

        #expect(try jobdir(setup, ["trigger", "deploy"]).status == 0)
        #expect(await waitUntil { setup.files.executions("deploy", state: "awaiting_approval").count == 1 }, "\(daemon.log)")
        let waiting = try #require(setup.files.executions("deploy", state: "awaiting_approval").first?["id"] as? String)
        #expect(try jobdir(setup, ["reject", waiting]).status == 0)
        #expect(await waitUntil { setup.files.executions("deploy", state: "rejected").count == 1 }, "\(daemon.log)")
        let history = try jobdir(setup, ["history", "deploy"])
        #expect(history.stdout.split(separator: "\n").dropFirst().map { $0.contains("rejected") } == [true, false])
        #expect(daemon.stop() == 0)
    }

    @Test func requestsDroppedWhileNoDaemonRunsAreAllTaken() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("reports/build.yaml", "command: echo built $MODE\noverlap: queue\n")
        for arguments in [["trigger", "reports/build"], ["trigger", "reports/build", "--env", "MODE=full"]] {
            let result = try jobdir(setup, arguments)
            #expect(result.status == 0)
            #expect(result.stderr.contains("no daemon is running"))
        }
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.executions("reports/build", state: "succeeded").count == 2 }, "\(daemon.log)")
        let logs = setup.files.executions("reports/build").map { setup.files.log($0) }.sorted()
        #expect(logs == ["built\n", "built full\n"])
        let list = try jobdir(setup, ["list", "--json"])
        let item = try #require((try parseJSON(list.stdout) as? [[String: Any]])?.first)
        #expect(item["last_state"] as? String == "succeeded")
        #expect(daemon.stop() == 0)
    }
}
