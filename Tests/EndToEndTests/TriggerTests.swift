import Foundation
import Testing
import TestSupport

/// Each kind of trigger, through the real daemon.
@Suite(.serialized) struct TriggerTests {
    typealias Setup = DaemonTests.Setup

    @Test func watchFiresOnContentChangesWithTheChangedPaths() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try FileManager.default.createDirectory(atPath: setup.jobs + "/inbox", withIntermediateDirectories: true)
        try setup.job("import.yaml", "command: printf '%s' \"$JOBDIR_CHANGED_PATHS\"\nwatch: {paths: ['inbox/*.csv'], debounce: 100ms}\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("import")?["watch_files"] is [String: Any] }, "\(daemon.log)")
        try setup.dir.write("jobs/inbox/a.csv", "1,2\n")
        try setup.dir.write("jobs/inbox/ignored.txt", "x\n")
        #expect(await waitUntil { setup.files.executions("import", state: "succeeded").count == 1 }, "\(daemon.log)")
        let record = try #require(setup.files.executions("import").first)
        #expect(setup.files.log(record) == setup.jobs + "/inbox/a.csv")
        #expect((record["trigger"] as? [String: Any])?["kind"] as? String == "watch")

        // Saving the same content again is no change; a real change fires again.
        try setup.dir.write("jobs/inbox/a.csv", "1,2\n")
        try setup.dir.write("jobs/inbox/b.csv", "3\n")
        #expect(await waitUntil { setup.files.executions("import", state: "succeeded").count == 2 }, "\(daemon.log)")
        let second = setup.files.executions("import").last!
        #expect(setup.files.log(second) == setup.jobs + "/inbox/b.csv")
        #expect(daemon.stop() == 0)

        // Changed while no daemon ran: fires once at start.
        try setup.dir.write("jobs/inbox/a.csv", "changed\n")
        let restarted = try setup.start()
        #expect(await waitUntil { setup.files.executions("import", state: "succeeded").count == 3 }, "\(restarted.log)")
        #expect(setup.files.log(setup.files.executions("import").last!) == setup.jobs + "/inbox/a.csv")
        #expect(restarted.stop() == 0)
        #expect(setup.files.executions("import").count == 3)
    }

    @Test func chainsFollowSuccessAndFailure() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("build.yaml", "command: exit $CODE\n")
        try setup.job("publish.yaml", "command: echo \"after $JOBDIR_UPSTREAM_JOB $JOBDIR_UPSTREAM_STATE\"\nafter: build\n")
        try setup.job("alert.yaml", "command: echo alert\nafter: {job: build, on: failure}\n")
        try setup.job("audit.yaml", "command: echo audit\nafter: {job: publish, on: always}\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("audit") != nil })
        try setup.trigger("build", #"{"env": {"CODE": "0"}}"#)
        #expect(await waitUntil { setup.files.executions("audit", state: "succeeded").count == 1 }, "\(daemon.log)")
        let publish = try #require(setup.files.executions("publish").first)
        #expect(setup.files.log(publish) == "after build succeeded\n")
        let build = try #require(setup.files.executions("build").first)
        #expect(publish["occurrence"] as? String == "publish:after:\(build["id"] as! String)")
        #expect(setup.files.executions("alert").isEmpty)

        try setup.trigger("build", #"{"env": {"CODE": "3"}}"#)
        #expect(await waitUntil { setup.files.executions("alert", state: "succeeded").count == 1 }, "\(daemon.log)")
        #expect(setup.files.executions("publish").count == 1)
        #expect(daemon.stop() == 0)
    }

    @Test func intervalOneShotAndRebootTriggers() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let soon = Date().addingTimeInterval(2)
        let at = ISO8601DateFormatter().string(from: soon)
        try setup.job("every.yaml", "command: 'true'\nevery: 1s\n")
        try setup.job("once.yaml", "command: 'true'\nat: ['\(at)', '2001-01-01T00:00:00Z']\n")
        try setup.job("boot.yaml", "command: 'true'\nschedule: '@reboot'\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.executions("once").count == 1 }, "\(daemon.log)")
        #expect(await waitUntil { setup.files.executions("every").count >= 2 })
        let slots = setup.files.executions("every").compactMap { ($0["trigger"] as? [String: Any])?["scheduled_for"] as? String }
        #expect(Set(slots.map { $0.suffix(4) }).count == 1, "interval slots share their anchor's milliseconds: \(slots)")
        #expect(setup.files.executions("boot").count == 1)
        // A reload is not a reboot.
        try setup.job("boot.yaml", "command: 'true'\nschedule: '@reboot'\ndescription: edited\n")
        #expect(await waitUntil { setup.files.result("boot")?["description"] as? String == "edited" })
        #expect(daemon.stop() == 0)
        #expect(setup.files.executions("boot").count == 1)
        #expect(setup.files.executions("once").count == 1)
        let restarted = try setup.start()
        #expect(await waitUntil { setup.files.executions("boot").count == 2 }, "\(restarted.log)")
        #expect(restarted.stop() == 0)
    }

    @Test func cancelFileAndTimeoutEndTheWholeProcessGroup() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("hang.yaml", "command: sleep 300 & sleep 300\nkill_grace: 1s\n")
        try setup.job("slow.yaml", "command: sleep 300 & sleep 300\ntimeout: 300ms\nkill_grace: 200ms\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("slow") != nil })
        try setup.trigger("hang")
        try setup.trigger("slow")
        #expect(await waitUntil { setup.files.executions("hang").first?["pid"] is Int })
        let hang = try #require(setup.files.executions("hang").first)
        try setup.dir.write("state/cancel/\(hang["id"] as! String)", "")
        #expect(await waitUntil { setup.files.executions("hang", state: "canceled").count == 1 }, "\(daemon.log)")
        #expect(await waitUntil { setup.files.executions("slow", state: "timed_out").count == 1 }, "\(daemon.log)")
        for record in setup.files.executions("hang") + setup.files.executions("slow") {
            let group = Int32(record["pid"] as! Int)
            #expect(kill(-group, 0) != 0 || !DaemonTests.isAlive(group), "process group \(group) outlived its run")
        }
        #expect(daemon.stop() == 0)
    }

    @Test func aChainCycleDoesNotRun() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("a.yaml", "command: 'true'\nafter: b\n")
        try setup.job("b.yaml", "command: 'true'\nafter: a\n")
        let daemon = try setup.start(["--log-format", "json"])
        #expect(await waitUntil { setup.files.result("b") != nil })
        try setup.trigger("a")
        #expect(await waitUntil { daemon.log.contains("\"event\":\"chain_refused\"") }, "\(daemon.log)")
        #expect(setup.files.executions("b").isEmpty)
        #expect(daemon.stop() == 0)
        // Every log line is one JSON object.
        for line in daemon.log.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["event"] is String && object?["time"] is String, "\(line)")
        }
    }
}
