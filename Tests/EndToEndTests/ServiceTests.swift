import Foundation
import Testing
import TestSupport

/// `jobdir run` as systemd starts it: readiness and status on `NOTIFY_SOCKET`, log
/// entries on the journal's socket, and `--metrics-file`, against sockets bound here.
@Suite(.serialized) struct ServiceTests {
    static let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

    struct Setup {
        let dir: TemporaryDirectory
        var jobs: String { dir.url("jobs") }
        var state: String { dir.url("state") }

        init() throws {
            dir = try TemporaryDirectory("jobdir-svc")
            try dir.write("jobs/ok.yaml", "command: echo fine\n")
            try dir.write("jobs/broken.yaml", "command: exit 3\n")
            try dir.write("jobs/nightly.yaml", "command: 'true'\nschedule: '30 2 * * *'\ntimezone: UTC\n")
        }

        func trigger(_ job: String) async throws {
            let result = try await ProcessRunner.runDetached(ProcessRunner.jobdirBinary, ["trigger", job, "--jobs", jobs, "--state", state])
            #expect(result.status == 0, "\(result.stderr)")
        }

        func terminal(_ job: String) -> Int {
            StateFiles(state).executions(job).filter { ["succeeded", "failed"].contains($0["state"] as? String ?? "") }.count
        }
    }

    @Test func tellsSystemdWhenReadyWhatItDoesAndWhenItStops() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let systemd = try DatagramSocket(path: setup.dir.url("notify"))
        let journald = try DatagramSocket(path: setup.dir.url("journal"))
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = systemd.path
        environment["JOBDIR_JOURNAL_SOCKET"] = journald.path
        let daemon = try DaemonProcess(jobs: setup.jobs, state: setup.state, environment: environment)

        let ready = try #require(await systemd.receiveText(), "no notification; log: \(daemon.log)")
        #expect(ready.split(separator: "\n").first == "READY=1")
        #expect(ready.contains("STATUS=0 running, 0 queued, 0 awaiting approval"))
        // Jobs are loaded by then.
        #expect(StateFiles(setup.state).result("nightly")?["loaded"] as? Bool == true)

        try await setup.trigger("broken")
        #expect(await waitUntil { setup.terminal("broken") == 1 })
        let entry = try #require(await journald.receive(until: { text in
            guard let fields = journalFields(Array(text.utf8)) else { return false }
            return fields["JOBDIR_EVENT"] == "finished" && fields["JOB"] == "broken"
        }), "no journal entry; log: \(daemon.log)")
        let fields = try #require(journalFields(Array(entry.matched.utf8)))
        let record = try #require(StateFiles(setup.state).executions("broken").first)
        #expect(fields["EXECUTION"] == record["id"] as? String)
        #expect(fields["PRIORITY"] == "4")
        #expect(fields["SYSLOG_IDENTIFIER"] == "jobdir")
        #expect(fields["MESSAGE"]?.hasPrefix("finished job=broken execution=") == true)
        #expect(fields["MESSAGE"]?.contains("state=failed") == true)
        // The earlier entries were there too: the daemon's start and the run's start.
        let events = entry.before.compactMap { journalFields(Array($0.utf8))?["JOBDIR_EVENT"] }
        #expect(events.contains("loaded_all"))
        #expect(events.contains("started"))
        // Under systemd the log goes to the journal, not to stderr as well.
        #expect(!daemon.log.contains("finished job=broken"))

        #expect(daemon.stop() == 0)
        let messages = await systemd.receiveAll(for: .seconds(2))
        let stopping = try #require(messages.first { $0.contains("STOPPING=1") }, "\(messages)")
        #expect(stopping.contains("STATUS=Stopping: "))
        // While the run ran, STATUS said so; it was sent again when the count changed.
        #expect(messages.contains { $0.contains("STATUS=1 running, 0 queued, 0 awaiting approval") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("STATUS=0 running, 0 queued, 0 awaiting approval") }, "\(messages)")
    }

    @Test func runsDoNotInheritTheServiceManagersVariables() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.dir.write("jobs/env.yaml", "command: 'echo \"[${NOTIFY_SOCKET-unset}][${JOURNAL_STREAM-unset}]\"'\n")
        let systemd = try DatagramSocket(path: setup.dir.url("notify"))
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = systemd.path
        environment["JOURNAL_STREAM"] = "1:1"
        environment["JOBDIR_JOURNAL_SOCKET"] = setup.dir.url("no-journal")
        let daemon = try DaemonProcess(jobs: setup.jobs, state: setup.state, environment: environment)
        defer { _ = daemon.stop() }
        _ = try #require(await systemd.receiveText(), "no notification; log: \(daemon.log)")
        try await setup.trigger("env")
        #expect(await waitUntil { StateFiles(setup.state).executions("env", state: "succeeded").count == 1 }, "\(daemon.log)")
        let record = try #require(StateFiles(setup.state).executions("env").first)
        #expect(StateFiles(setup.state).log(record) == "[unset][unset]\n")
    }

    @Test func journalStreamNamingStderrMeansTheJournal() async throws {
        // systemd without Type=notify: stderr connected to the journal, JOURNAL_STREAM naming it.
        for matching in [true, false] {
            let setup = try Setup()
            defer { setup.dir.remove() }
            let journald = try DatagramSocket(path: setup.dir.url("journal"))
            let logFile = setup.state + ".daemon.log"
            _ = FileManager.default.createFile(atPath: logFile, contents: nil)
            var st = stat()
            try #require(stat(logFile, &st) == 0)
            var environment = ProcessInfo.processInfo.environment
            environment["NOTIFY_SOCKET"] = nil
            environment["JOURNAL_STREAM"] = "\(st.st_dev):\(matching ? st.st_ino : st.st_ino + 1)"
            environment["JOBDIR_JOURNAL_SOCKET"] = journald.path
            let daemon = try DaemonProcess(jobs: setup.jobs, state: setup.state, environment: environment)
            #expect(await waitUntil { StateFiles(setup.state).result("ok") != nil })
            try await setup.trigger("ok")
            #expect(await waitUntil { setup.terminal("ok") == 1 })
            #expect(daemon.stop() == 0)
            let entries = await journald.receiveAll(for: .milliseconds(300)).compactMap { journalFields(Array($0.utf8)) }
            if matching {
                #expect(entries.contains { $0["JOBDIR_EVENT"] == "finished" && $0["JOB"] == "ok" && $0["PRIORITY"] == "6" }, "\(entries)")
                #expect(!daemon.log.contains("finished job=ok"), "\(daemon.log)")
            } else {
                // Inherited from a parent whose stderr it was: this stderr is not the journal.
                #expect(entries.isEmpty, "\(entries)")
                #expect(daemon.log.contains("finished job=ok"), "\(daemon.log)")
            }
        }
    }

    @Test func metricsFileAndMetricsVerbAgreeWithTheRuns() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let metricsFile = setup.dir.url("jobdir.prom")
        let daemon = try DaemonProcess(jobs: setup.jobs, state: setup.state, arguments: ["--metrics-file", metricsFile])
        #expect(await waitUntil { StateFiles(setup.state).result("ok") != nil })
        for job in ["ok", "broken", "broken"] {
            let before = setup.terminal(job)
            try await setup.trigger(job)
            #expect(await waitUntil { setup.terminal(job) == before + 1 }, "\(daemon.log)")
        }
        let result = try #require(StateFiles(setup.state).result("ok"))
        let lastSuccess = try #require((result["last_success_at"] as? String).flatMap(Self.epochSeconds))
        func current() -> PrometheusSamples? { (try? String(contentsOfFile: metricsFile, encoding: .utf8)).map(PrometheusSamples.init) }
        // Written at most once a second: within a couple of seconds it shows every run.
        #expect(await waitUntil(timeout: .seconds(5)) {
            current()?.value("jobdir_job_consecutive_failures", ["job_id": "broken"]) == 2
                && current()?.value("jobdir_job_runs_total", ["job_id": "ok", "state": "succeeded"]) == 1
        }, "\((try? String(contentsOfFile: metricsFile, encoding: .utf8)) ?? "no file")")
        let file = try #require(current())
        #expect(file.problems.isEmpty)
        #expect(file.value("jobdir_up") == 1)
        #expect(file.value("jobdir_job_last_success_timestamp_seconds", ["job_id": "ok"]) == lastSuccess)
        #expect(file.value("jobdir_job_last_success_timestamp_seconds", ["job_id": "broken"]) == nil)
        #expect(file.value("jobdir_job_runs_total", ["job_id": "broken", "state": "failed"]) == 2)
        #expect(file.value("jobdir_job_last_duration_seconds", ["job_id": "ok"]).map { $0 >= 0 && $0 < 10 } == true)
        #expect(file.value("jobdir_job_next_due_timestamp_seconds", ["job_id": "nightly"]) != nil)
        #expect(file.value("jobdir_job_running", ["job_id": "ok"]) == 0)

        // `jobdir metrics` reads the same from the state files.
        let verb = try await ProcessRunner.runDetached(ProcessRunner.jobdirBinary, ["metrics", "--state", setup.state])
        #expect(verb.status == 0, "\(verb.stderr)")
        let fileText = try String(contentsOfFile: metricsFile, encoding: .utf8)
        #expect(verb.stdout == fileText)

        #expect(daemon.stop() == 0)
        let stopped = try #require(current())
        #expect(stopped.value("jobdir_up") == 0)
        let afterStop = try await ProcessRunner.runDetached(ProcessRunner.jobdirBinary, ["metrics", "--state", setup.state])
        #expect(PrometheusSamples(afterStop.stdout).value("jobdir_up") == 0)
        #expect(afterStop.stdout == (try String(contentsOfFile: metricsFile, encoding: .utf8)))
    }

    @Test(.enabled(if: promtool != nil, "promtool is not installed (Debian package prometheus); Scripts/test.sh installs it"))
    func promtoolAcceptsTheFileAndTheVerb() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let metricsFile = setup.dir.url("jobdir.prom")
        let daemon = try DaemonProcess(jobs: setup.jobs, state: setup.state, arguments: ["--metrics-file", metricsFile])
        // The request inbox exists once the daemon has loaded its jobs.
        #expect(await waitUntil { StateFiles(setup.state).result("broken") != nil }, "\(daemon.log)")
        for job in ["ok", "broken"] {
            try await setup.trigger(job)
            #expect(await waitUntil { setup.terminal(job) == 1 }, "\(daemon.log)")
        }
        #expect(await waitUntil(timeout: .seconds(5)) {
            ((try? String(contentsOfFile: metricsFile, encoding: .utf8)) ?? "").contains("jobdir_job_runs_total{job_id=\"broken\",state=\"failed\"} 1")
        })
        let verb = try await ProcessRunner.runDetached(ProcessRunner.jobdirBinary, ["metrics", "--state", setup.state])
        try Data(verb.stdout.utf8).write(to: URL(fileURLWithPath: setup.dir.url("verb.prom")))
        for input in [metricsFile, setup.dir.url("verb.prom")] {
            let check = try await ProcessRunner.runDetached("/bin/sh", ["-c", "\"$0\" check metrics < \"$1\"", Self.promtool!, input])
            #expect(check.status == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "promtool on \(input): \(check.stdout)\(check.stderr)")
        }
        #expect(daemon.stop() == 0)
    }

    @Test func metricsNameTheRunningDaemonsBuildAndTakeNoJobsDirectory() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let cli = try ProcessRunner.jobdir(["--version"]).stdout
        let daemon = try DaemonProcess(jobs: setup.jobs, state: setup.state)
        let daemonFile = setup.state + "/daemon.json"
        func info() -> [String: Any]? {
            FileManager.default.contents(atPath: daemonFile).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }
        #expect(await waitUntil { info()?["commit"] != nil }, "\(daemon.log)")
        let written = try #require(info())
        #expect(cli == "jobdir \(written["version"] as? String ?? "?") (commit \(written["commit"] as? String ?? "?"))\n", "\(written)")

        // Another build's daemon (as an upgrade leaves one running until its restart): its
        // version and commit, not the command's.
        var other = written
        other["version"] = "9.9.9"
        other["commit"] = "0123456789ab"
        try JSONSerialization.data(withJSONObject: other).write(to: URL(fileURLWithPath: daemonFile), options: .atomic)
        let running = try await ProcessRunner.runDetached(ProcessRunner.jobdirBinary, ["metrics", "--state", setup.state])
        #expect(running.status == 0, "\(running.stderr)")
        #expect(PrometheusSamples(running.stdout).value("jobdir_build_info", ["version": "9.9.9", "commit": "0123456789ab"]) == 1, "\(running.stdout)")

        #expect(daemon.stop() == 0)
        try JSONSerialization.data(withJSONObject: other).write(to: URL(fileURLWithPath: daemonFile), options: .atomic)
        let stopped = try await ProcessRunner.runDetached(ProcessRunner.jobdirBinary, ["metrics", "--state", setup.state])
        let build = try #require(PrometheusSamples(stopped.stdout).all("jobdir_build_info").first, "\(stopped.stdout)")
        #expect(cli == "jobdir \(build.labels["version"] ?? "?") (commit \(build.labels["commit"] ?? "?"))\n", "no daemon: the command's own")

        // The jobs directory is no input of the metrics.
        let withJobs = try await ProcessRunner.runDetached(ProcessRunner.jobdirBinary, ["metrics", "--state", setup.state, "--jobs", setup.jobs])
        #expect(withJobs.status != 0 && withJobs.stderr.contains("--jobs"), "\(withJobs.stderr)")
    }

    @Test func versionNamesTheCommit() throws {
        let result = try ProcessRunner.jobdir(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("jobdir "), "\(result.stdout)")
        #expect(result.stdout.contains("(commit "), "\(result.stdout)")
    }

    static func epochSeconds(_ text: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text).map { ($0.timeIntervalSince1970 * 1000).rounded() / 1000 }
    }
}
