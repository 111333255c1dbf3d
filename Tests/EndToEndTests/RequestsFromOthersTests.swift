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

    @Test func nobodyReadsAndMayApproveForItsGroupAndNotOtherwise() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try setup.job("ours.yaml", "command: echo deployed\napproval: {approvers: ['@nogroup']}\n")
        try setup.job("theirs.yaml", "command: echo deployed\napproval: {approvers: [root]}\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("ours") != nil && setup.files.result("theirs") != nil }, "\(daemon.log)")

        let ours = try await awaiting(setup, "ours", daemon)
        let theirs = try await awaiting(setup, "theirs", daemon)
        #expect(await waitUntil { setup.files.json("approvals/\(theirs).json") != nil })
        // An approver reads the pending requests it may decide, and only those.
        let status = try asNobody(setup, ["status", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any], "\(status.stderr)")
        let pending = (object["awaiting_approval"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(pending == [ours], "\(status.stdout)")
        let request = try asNobody("/bin/cat", [setup.state + "/approvals/\(ours).json"])
        #expect(request.status == 0 && request.stdout.contains("\"state\""), "\(request.stderr)")
        #expect(try asNobody("/bin/cat", [setup.state + "/approvals/\(theirs).json"]).status != 0)

        let approved = try asNobody(setup, ["approve", ours, "--comment", "looks good"])
        #expect(approved.status == 0, "\(approved.stderr)")
        #expect(await waitUntil { setup.files.executions("ours", state: "succeeded").count == 1 }, "\(daemon.log)")
        let decided = try #require(setup.files.executions("ours").first?["approval"] as? [String: Any])
        #expect(decided["decided_by"] as? String == "nobody")

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

        let cancel = try asNobody(setup, ["cancel", id])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(await waitUntil(timeout: .seconds(20)) { setup.files.executions("open", state: "canceled").count == 1 }, "\(daemon.log)")
        #expect(daemon.stop() == 0)
    }

    /// `ARGS` run as nobody (group nogroup), not through jobdir.
    func asNobody(_ program: String, _ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", program] + arguments)
    }

    @Test func aJobsUserAndOperatorsReadItsRecordsAndLogsAndNobodyElseDoes() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try setup.job("mine.yaml", "command: echo secret of nobody\nuser: nobody\n")
        try setup.job("operated.yaml", "command: echo operated by nobody\noperators: ['@nogroup']\n")
        try setup.job("private.yaml", "command: echo secret of root\n")
        let daemon = try setup.start()
        let jobs = ["mine", "operated", "private"]
        #expect(await waitUntil { jobs.allSatisfy { setup.files.result($0) != nil } }, "\(daemon.log)")
        var ids: [String: String] = [:]
        for job in jobs {
            try setup.trigger(job)
            #expect(await waitUntil { setup.files.executions(job, state: "succeeded").count == 1 }, "\(daemon.log)")
            ids[job] = setup.files.executions(job).first?["id"] as? String
        }

        let mine = try asNobody(setup, ["logs", ids["mine"]!])
        #expect(mine.status == 0 && mine.stdout == "secret of nobody\n", "the job's user reads its log: \(mine.stderr)")
        let operated = try asNobody(setup, ["logs", ids["operated"]!])
        #expect(operated.status == 0 && operated.stdout == "operated by nobody\n", "an operator reads it: \(operated.stderr)")
        let history = try asNobody(setup, ["history", "mine", "--json"])
        #expect(history.status == 0 && history.stdout.contains(ids["mine"]!), "\(history.stderr)")
        let status = try asNobody(setup, ["status", "mine", "--json"])
        #expect(status.status == 0 && status.stdout.contains(ids["mine"]!), "its result: \(status.stdout) \(status.stderr)")

        let refused = try asNobody(setup, ["logs", ids["private"]!])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("another user's run is not yours to read"), "\(refused.stderr)")
        for file in ["executions/private/\(ids["private"]!).json", "logs/private/\(ids["private"]!).log", "results/private.json"] {
            let cat = try asNobody("/bin/cat", [setup.state + "/" + file])
            #expect(cat.status != 0 && !cat.stdout.contains("secret of root"), "\(file) is root's: \(cat.stdout)")
        }
        let everything = try asNobody("/bin/grep", ["-r", "secret of root", setup.state])
        #expect(!everything.stdout.contains("secret of root"), "\(everything.stdout)")

        // Taken off the operators, nobody reads the job's records no more.
        try setup.job("operated.yaml", "command: echo operated by nobody\n")
        #expect(await waitUntil { daemon.log.contains("reloaded job=operated") }, "\(daemon.log)")
        #expect(await waitUntil { (try? asNobody(setup, ["logs", ids["operated"]!]).status) == 1 }, "the list is taken back")
        #expect(daemon.stop() == 0)
    }

    @Test func aJobWithReadersBelowAnotherOpensNoneOfTheOthersFiles() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try setup.job("x.yaml", "command: echo secret of root\n")
        try setup.job("x/y.yaml", "command: echo operated by nobody\noperators: [nobody]\n")
        let daemon = try setup.start()
        #expect(await waitUntil { ["x", "x/y"].allSatisfy { setup.files.result($0) != nil } }, "\(daemon.log)")
        var ids: [String: String] = [:]
        for job in ["x", "x/y"] {
            let triggered = try ProcessRunner.run(ProcessRunner.jobdirBinary, ["trigger", job, "--jobs", setup.jobs, "--state", setup.state])
            #expect(triggered.status == 0, "\(triggered.stderr)")
            #expect(await waitUntil { setup.files.executions(job, state: "succeeded").count == 1 }, "\(daemon.log)")
            ids[job] = try #require(setup.files.executions(job).first?["id"] as? String)
        }

        let history = try asNobody(setup, ["history", "x/y", "--json"])
        #expect(history.status == 0 && history.stdout.contains(ids["x/y"]!), "an operator reads its records: \(history.stderr)")
        let log = try asNobody("/bin/cat", [setup.state + "/logs/x/y/\(ids["x/y"]!).log"])
        #expect(log.status == 0 && log.stdout == "operated by nobody\n", "and its logs: \(log.stderr)")
        let logs = try asNobody(setup, ["logs", ids["x/y"]!])
        #expect(logs.status == 0 && logs.stdout == "operated by nobody\n", "found by the jobs directory's ids: \(logs.stderr)")
        let status = try asNobody(setup, ["status", "x/y", "--json"])
        #expect(status.status == 0 && status.stdout.contains(ids["x/y"]!), "and its result: \(status.stdout) \(status.stderr)")
        for file in ["executions/x/\(ids["x"]!).json", "logs/x/\(ids["x"]!).log"] {
            let cat = try asNobody("/bin/cat", [setup.state + "/" + file])
            #expect(cat.status != 0 && !cat.stdout.contains("secret of root"), "\(file) is root's: \(cat.stdout)")
        }
        let refused = try asNobody(setup, ["logs", ids["x"]!])
        #expect(refused.status == 1 && !refused.stdout.contains("secret of root"), "\(refused.stdout)")
        #expect(daemon.stop() == 0)
    }

    @Test func aTriggerDirectoryMadeFirstByAUserIsTakenBackWhenItsJobLoads() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try setup.job("solo.yaml", "command: echo solo\n")
        let first = try setup.start()
        #expect(await waitUntil { setup.files.result("solo") != nil }, "\(first.log)")
        #expect(first.stop() == 0)
        // While no daemon runs, nobody makes triggers/reports/ and drops a request in it,
        // then the job below it appears.
        let made = try asNobody("/bin/mkdir", ["-m", "0755", setup.state + "/triggers/reports"])
        #expect(made.status == 0, "\(made.stderr)")
        try nobodyDrops(setup, "reports/build", "")
        try setup.job("reports/build.yaml", "command: echo built\noperators: [nobody]\n")

        let daemon = try setup.start()
        #expect(await waitUntil { daemon.log.contains("trigger_directory_moved_aside") }, "\(daemon.log)")
        var info = stat()
        #expect(lstat(setup.state + "/triggers/reports", &info) == 0 && info.st_uid == 0 && info.st_mode & 0o7777 == 0o1733)
        #expect(daemon.log.contains("requests_kept=1"), "\(daemon.log)")
        #expect(await waitUntil { setup.files.executions("reports/build", state: "succeeded").count == 1 }, "nobody's request is kept: \(daemon.log)")

        // root's request for the job below counts, in the directory nobody can no longer hold.
        let triggered = try ProcessRunner.run(ProcessRunner.jobdirBinary, ["trigger", "reports/build", "--jobs", setup.jobs, "--state", setup.state])
        #expect(triggered.status == 0, "\(triggered.stderr)")
        #expect(await waitUntil { setup.files.executions("reports/build", state: "succeeded").count == 2 }, "\(daemon.log)")
        #expect(!daemon.log.contains("trigger_refused"), "\(daemon.log)")
        #expect(daemon.stop() == 0)
    }

    /// nobody drops `content` as `triggers/NAME`.
    func nobodyDrops(_ setup: Setup, _ name: String, _ content: String) throws {
        let dropped = try asNobody("/bin/sh", ["-c", "printf '%s' \"$1\" > \"$2\"", "sh", content, setup.state + "/triggers/" + name])
        #expect(dropped.status == 0, "\(dropped.stderr)")
    }

    @Test func anOperatorMayTriggerButNotSetTheEnvironment() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try setup.job("open.yaml", "command: echo X=$X\noperators: [nobody]\n")
        try setup.job("mine.yaml", "command: echo X=$X LD=$LD_PRELOAD BASH_ENV=$BASH_ENV\nuser: nobody\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("open") != nil && setup.files.result("mine") != nil }, "\(daemon.log)")

        try nobodyDrops(setup, "open", #"{"env": {"X": "1", "LD_PRELOAD": "/tmp/x.so"}}"#)
        #expect(await waitUntil { daemon.log.contains("trigger_refused") }, "\(daemon.log)")
        #expect(daemon.log.contains("sets env, which only root, the daemon's user and the job's user"), "\(daemon.log)")
        #expect(FileManager.default.fileExists(atPath: setup.state + "/triggers/open"), "a refused request is left in place")
        #expect(setup.files.executions("open").isEmpty, "it did not run")
        let status = try ProcessRunner.jobdir(["status", "--json", "--jobs", setup.jobs, "--state", setup.state])
        #expect(status.stdout.contains("sets env, which only root"), "status lists it: \(status.stdout)")
        let told = try asNobody(setup, ["trigger", "open", "--env", "X=1"])
        #expect(told.status == 1 && told.stderr.contains("--env: sets env, which only root"), "the CLI says so first: \(told.stderr)")
        let loader = try ProcessRunner.jobdir(["trigger", "open", "--env", "LD_PRELOAD=/tmp/x.so", "--jobs", setup.jobs, "--state", setup.state])
        #expect(loader.status != 0 && loader.stderr.contains("may not set LD_PRELOAD"), "\(loader.stderr)")
        try nobodyDrops(setup, "open@plain", "")
        #expect(await waitUntil { setup.files.executions("open", state: "succeeded").count == 1 }, "\(daemon.log)")
        #expect(setup.files.executions("open").first.map(setup.files.log) == "X=\n")

        // The job's own user sets env, but never what the loader or a shell acts on first.
        try nobodyDrops(setup, "mine", #"{"env": {"X": "1", "LD_PRELOAD": "/tmp/x.so", "BASH_ENV": "/tmp/x"}}"#)
        #expect(await waitUntil { setup.files.executions("mine", state: "succeeded").count == 1 }, "\(daemon.log)")
        #expect(setup.files.executions("mine").first.map(setup.files.log) == "X=1 LD= BASH_ENV=\n")
        #expect(daemon.log.contains("request_env_dropped job=mine names=BASH_ENV,LD_PRELOAD"), "\(daemon.log)")
        #expect(daemon.stop() == 0)
    }

    @Test func aHardLinkedRequestDoesNotSpeakForTheFilesOwner() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try setup.job("closed.yaml", "command: echo ran\n")
        // As a user could link a file of root's into the drop box where hard links to
        // others' files are allowed (a link makes no close-after-write: found at start).
        let roots = try setup.dir.write("roots-file", "")
        try FileManager.default.createDirectory(atPath: setup.state + "/triggers", withIntermediateDirectories: true)
        #expect(link(roots, setup.state + "/triggers/closed") == 0)
        let daemon = try setup.start()
        #expect(await waitUntil { daemon.log.contains("trigger_refused") }, "\(daemon.log)")
        #expect(daemon.log.contains("the file has 2 names (hard links)"), "\(daemon.log)")
        #expect(setup.files.executions("closed").isEmpty, "it did not run")
        #expect(daemon.stop() == 0)
    }

    @Test func aCancelForAJobWhoseDefinitionIsGoneCountsOnlyFromRoot() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        let file = try setup.job("open.yaml", "command: sleep 30\noperators: [nobody]\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("open") != nil }, "\(daemon.log)")
        try setup.trigger("open")
        #expect(await waitUntil { setup.files.executions("open", state: "running").first?["pid"] is Int }, "\(daemon.log)")
        let id = try #require(setup.files.executions("open").first?["id"] as? String)
        try FileManager.default.removeItem(atPath: file)
        #expect(await waitUntil { daemon.log.contains("removed job=open") }, "\(daemon.log)")

        _ = try asNobody(setup, ["cancel", id])
        #expect(await waitUntil { daemon.log.contains("cancel_refused") }, "\(daemon.log)")
        #expect(daemon.log.contains("who is neither root nor the daemon's user (the job's definition is gone)"), "\(daemon.log)")
        #expect(setup.files.executions("open").first?["state"] as? String == "running")
        try FileManager.default.removeItem(atPath: setup.state + "/cancel/" + id)
        let cancel = try ProcessRunner.jobdir(["cancel", id, "--jobs", setup.jobs, "--state", setup.state])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(await waitUntil(timeout: .seconds(20)) { setup.files.executions("open", state: "canceled").count == 1 }, "\(daemon.log)")
        #expect(daemon.stop() == 0)
    }

    @Test func aForeignClaimDirectoryIsMovedAsideNotWrittenThrough() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try setup.job("job.yaml", "command: echo ran\n")
        let victim = setup.dir.url("victim")
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: setup.state + "/triggers", withIntermediateDirectories: true)
        #expect(symlink(victim, setup.state + "/triggers/.claimed") == 0)
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("job") != nil }, "\(daemon.log)")
        try setup.trigger("job")
        #expect(await waitUntil { setup.files.executions("job", state: "succeeded").count == 1 }, "\(daemon.log)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim).isEmpty, "nothing was claimed into the symlink's target")
        let names = try FileManager.default.contentsOfDirectory(atPath: setup.state + "/triggers")
        #expect(names.contains { $0.hasPrefix(".claimed.foreign-") }, "\(names)")
        #expect(daemon.stop() == 0)
    }
}

