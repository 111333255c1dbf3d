import Foundation
import Testing
import TestSupport

/// `notify` and `ping` (SPEC section 10) through the real daemon, against a scripted HTTP
/// server on 127.0.0.1 and real notifier processes.
@Suite(.serialized) struct NotificationTests {
    typealias Setup = DaemonTests.Setup

    /// A port that was free a moment ago and that nobody listens on.
    static func closedPort() throws -> UInt16 {
        let probe = try ScriptedHTTPServer()
        defer { probe.stop() }
        return probe.port
    }

    static func notifications(_ record: [String: Any]) -> [[String: Any]] {
        record["notifications"] as? [[String: Any]] ?? []
    }

    static func daemon(_ setup: Setup, _ arguments: [String] = [], environment extra: [String: String] = [:]) throws -> DaemonProcess {
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in extra { environment[name] = value }
        return try DaemonProcess(jobs: setup.jobs, state: setup.state, arguments: arguments, environment: environment)
    }

    /// Every file under `directory`, as text.
    static func allText(under directory: String) -> String {
        guard let paths = FileManager.default.subpaths(atPath: directory) else { return "" }
        return paths.compactMap { try? String(contentsOfFile: directory + "/" + $0, encoding: .utf8) }.joined(separator: "\n")
    }

    @Test func failureThenRecoveryAfterTwoFailuresAndNothingForSuccess() async throws {
        let server = try ScriptedHTTPServer()
        defer { server.stop() }
        let setup = try Setup()
        defer { setup.dir.remove() }
        let code = try setup.dir.write("code", "1")
        try setup.job("flaky.yaml", """
            command: "echo out-$(cat \(code)); exit $(cat \(code))"
            notify:
              on: [failure, recovery]
              webhook: \(server.url("/hook"))
              headers: {Authorization: "Bearer ${ALERT_TOKEN}"}

            """)
        try setup.job("quiet.yaml", "command: \"true\"\nnotify: {on: [failure], webhook: \"\(server.url("/quiet"))\"}\n")
        let daemon = try Self.daemon(setup, environment: ["ALERT_TOKEN": "s3cret-token"])
        #expect(await waitUntil { setup.files.result("flaky")?["loaded"] as? Bool == true && setup.files.result("quiet") != nil }, "\(daemon.log)")

        try setup.trigger("flaky")
        #expect(await waitUntil { server.requests.count == 1 }, "\(daemon.log)")
        let first = server.requests[0]
        #expect(first.method == "POST" && first.path == "/hook")
        #expect(first.headers["content-type"] == "application/json")
        #expect(first.headers["authorization"] == "Bearer s3cret-token")
        #expect(first.headers["x-jobdir-event"] == "failure")
        #expect(first.json?["job"] as? String == "flaky")
        #expect(first.json?["state"] as? String == "failed")
        #expect(first.json?["exit_code"] as? Int == 1)
        #expect((first.json?["output"] as? [String: Any])?["tail"] as? String == "out-1\n")

        try setup.trigger("flaky")
        #expect(await waitUntil { server.requests.count == 2 }, "\(daemon.log)")
        #expect(server.requests[1].headers["x-jobdir-event"] == "failure")

        try Data("0".utf8).write(to: URL(fileURLWithPath: code))
        try setup.trigger("flaky")
        #expect(await waitUntil { server.requests.count == 3 }, "\(daemon.log)")
        #expect(server.requests[2].headers["x-jobdir-event"] == "recovery")
        #expect(server.requests[2].json?["state"] as? String == "succeeded")

        // A second success and a success of an `on: [failure]` job tell nobody: the next
        // message the server gets is the failure after them.
        try setup.trigger("flaky")
        try setup.trigger("quiet")
        #expect(await waitUntil { setup.files.executions("flaky", state: "succeeded").count == 2 && setup.files.executions("quiet", state: "succeeded").count == 1 })
        try Data("1".utf8).write(to: URL(fileURLWithPath: code))
        try setup.trigger("flaky")
        #expect(await waitUntil { server.requests.count >= 4 }, "\(daemon.log)")
        #expect(await waitUntil { setup.files.executions("flaky").count == 5 && Self.notifications(setup.files.executions("flaky")[4]).count == 1 })
        #expect(server.requests.count == 4)
        #expect(server.requests[3].headers["x-jobdir-event"] == "failure")
        #expect(!server.requests.contains { $0.path == "/quiet" })

        // Each attempt is in the record; the secret is in no state file and no log line.
        let records = setup.files.executions("flaky")
        let attempts = records.map { Self.notifications($0).count }
        #expect(attempts == [1, 1, 1, 0, 1])
        let told = try #require(Self.notifications(records[0]).first)
        #expect(told["target"] as? String == "webhook")
        #expect(told["ok"] as? Bool == true)
        #expect(told["http_status"] as? Int == 200)
        #expect(told["event"] as? String == "failure")
        #expect(!Self.allText(under: setup.state).contains("s3cret-token"))
        #expect(!daemon.log.contains("s3cret-token"))
        #expect(daemon.stop() == 0)
    }

    @Test func pingsStartThenSuccessOrFailWithTheOutputTail() async throws {
        let server = try ScriptedHTTPServer()
        defer { server.stop() }
        let setup = try Setup()
        defer { setup.dir.remove() }
        // The runs last a moment, so the start ping is out before the end is known.
        try setup.job("good.yaml", "command: \"sleep 0.3; echo all good\"\nping: \(server.url("/ping/good-uuid"))\n")
        try setup.job("bad.yaml", "command: \"sleep 0.3; echo broke; exit 2\"\nping: \(server.url("/ping/bad-uuid/"))\n")
        let daemon = try Self.daemon(setup)
        #expect(await waitUntil { setup.files.result("good") != nil && setup.files.result("bad") != nil }, "\(daemon.log)")

        try setup.trigger("good")
        #expect(await waitUntil { server.requests.count == 2 }, "\(daemon.log)")
        #expect(server.requests.map { "\($0.method) \($0.path)" } == ["GET /ping/good-uuid/start", "POST /ping/good-uuid"])
        #expect(server.requests[1].bodyText == "all good\n")

        try setup.trigger("bad")
        #expect(await waitUntil { server.requests.count == 4 }, "\(daemon.log)")
        #expect(server.requests[2...].map { "\($0.method) \($0.path)" } == ["GET /ping/bad-uuid/start", "POST /ping/bad-uuid/fail"])
        #expect(server.requests[3].bodyText == "broke\n")

        #expect(await waitUntil { setup.files.executions("bad").first.map { Self.notifications($0).count == 2 } == true })
        let targets = setup.files.executions("bad").first.map { Self.notifications($0).compactMap { $0["target"] as? String } }
        #expect(targets == ["ping/start", "ping/fail"])
        #expect(daemon.stop() == 0)
    }

    @Test func headerValuesReachNoStateFileWhileADeliveryIsPending() async throws {
        let server = try ScriptedHTTPServer { _, _ in .status(500) }
        defer { server.stop() }
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("fails.yaml", """
            command: "exit 1"
            notify:
              webhook: \(server.url("/hook"))
              headers: {X-Literal: "literal-s3cret", Authorization: "Bearer ${ALERT_TOKEN}"}

            """)
        let daemon = try Self.daemon(setup, ["--notify-retry-delay", "30s"], environment: ["ALERT_TOKEN": "env-s3cret"])
        #expect(await waitUntil { setup.files.result("fails") != nil }, "\(daemon.log)")
        try setup.trigger("fails")
        #expect(await waitUntil { setup.files.executions("fails").first.map { Self.notifications($0).count == 1 } == true }, "\(daemon.log)")
        #expect(server.requests.first?.headers["x-literal"] == "literal-s3cret")
        #expect(server.requests.first?.headers["authorization"] == "Bearer env-s3cret")
        let pending = try FileManager.default.contentsOfDirectory(atPath: setup.state + "/notifications").filter { $0.hasSuffix(".json") }
        #expect(pending.count == 1, "still pending: the next attempt is 30 s away")
        var info = stat()
        #expect(stat(setup.state + "/notifications/" + (pending.first ?? ""), &info) == 0 && info.st_mode & 0o777 == 0o600)
        let text = Self.allText(under: setup.state)
        #expect(!text.contains("literal-s3cret") && !text.contains("env-s3cret"))
        #expect(!daemon.log.contains("s3cret"))
        #expect(daemon.stop() == 0)
    }

    @Test func aWebhookTheDefinitionNoLongerHasGetsNoMessage() async throws {
        let server = try ScriptedHTTPServer { _, _ in .status(500) }
        defer { server.stop() }
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("fails.yaml", "command: \"exit 1\"\nnotify: {webhook: \"\(server.url("/old"))\"}\n")
        let daemon = try Self.daemon(setup, ["--notify-retry-delay", "1s"])
        #expect(await waitUntil { setup.files.result("fails") != nil }, "\(daemon.log)")
        try setup.trigger("fails")
        #expect(await waitUntil { setup.files.executions("fails").first.map { Self.notifications($0).count >= 1 } == true }, "\(daemon.log)")
        try setup.job("fails.yaml", "command: \"exit 1\"\nnotify: {webhook: \"\(server.url("/new"))\"}\n")
        #expect(await waitUntil { daemon.log.contains("reloaded job=fails") }, "\(daemon.log)")
        // An attempt after the change (how many came before it depends on the machine's
        // pace) finds the webhook gone from the definition: it sends nothing.
        let attempts = { setup.files.executions("fails").first.map(Self.notifications) ?? [] }
        #expect(await waitUntil { attempts().contains { ($0["error"] as? String)?.contains("definition changed") == true } }, "\(daemon.log)")
        let changed = try #require(attempts().first { ($0["error"] as? String)?.contains("definition changed") == true })
        #expect(changed["ok"] as? Bool == false)
        #expect(server.requests.allSatisfy { $0.path == "/old" }, "nothing went to the new URL")
        #expect(daemon.stop() == 0)
    }

    @Test func aFastRunsStartPingNeverComesAfterItsSuccess() async throws {
        let server = try ScriptedHTTPServer()
        defer { server.stop() }
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("fast.yaml", "command: \"true\"\nping: \(server.url("/ping/fast"))\n")
        let daemon = try Self.daemon(setup)
        #expect(await waitUntil { setup.files.result("fast") != nil }, "\(daemon.log)")
        for round in 1...5 {
            try setup.trigger("fast")
            #expect(await waitUntil { setup.files.executions("fast", state: "succeeded").count == round }, "\(daemon.log)")
            #expect(await waitUntil { server.requests.filter { $0.path == "/ping/fast" }.count == round }, "\(daemon.log)")
        }
        try await Task.sleep(for: .milliseconds(300))
        // Per run: its start (when sent) before its success, never after it.
        var startedWithoutSuccess = false
        for request in server.requests {
            if request.path == "/ping/fast/start" {
                #expect(!startedWithoutSuccess, "two starts in a row: \(server.requests.map(\.path))")
                startedWithoutSuccess = true
            } else {
                startedWithoutSuccess = false
            }
        }
        #expect(!startedWithoutSuccess, "a start after the last success: \(server.requests.map(\.path))")
        #expect(daemon.stop() == 0)
    }

    @Test func serverErrorsAreRetriedAndEachAttemptRecorded() async throws {
        let server = try ScriptedHTTPServer { number, _ in number < 2 ? .answer(500, body: "overloaded, said the server\n") : .status(200) }
        defer { server.stop() }
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("fails.yaml", "command: \"exit 5\"\nnotify: {webhook: \"\(server.url("/hook"))\"}\n")
        let daemon = try Self.daemon(setup, ["--notify-retry-delay", "200ms"])
        #expect(await waitUntil { setup.files.result("fails") != nil }, "\(daemon.log)")
        try setup.trigger("fails")
        #expect(await waitUntil { server.requests.count == 3 }, "\(daemon.log)")
        #expect(await waitUntil { setup.files.executions("fails").first.map { Self.notifications($0).count == 3 } == true }, "\(daemon.log)")
        let attempts = Self.notifications(try #require(setup.files.executions("fails").first))
        #expect(attempts.map { $0["http_status"] as? Int } == [500, 500, 200])
        #expect(attempts.map { $0["ok"] as? Bool } == [false, false, true])
        #expect(attempts.map { $0["attempt"] as? Int } == [1, 2, 3])
        #expect(attempts[0]["error"] as? String == "HTTP 500")
        // What the server said is not kept.
        #expect(attempts[0]["answer"] == nil)
        #expect(!Self.allText(under: setup.state).contains("said the server"))
        #expect(attempts[0]["retry_at"] is String)
        #expect(attempts[2]["retry_at"] is NSNull)
        // Done: nothing is pending any more.
        #expect(await waitUntil { ((try? FileManager.default.contentsOfDirectory(atPath: setup.state + "/notifications")) ?? []).isEmpty })
        #expect(server.requests.count == 3)
        #expect(daemon.stop() == 0)
    }

    @Test func aDeliveryPendingWhileTheServerIsDownIsSentAfterARestart() async throws {
        // The first attempt is refused.
        let port = try Self.closedPort()
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("fails.yaml", "command: \"echo lost; exit 1\"\nnotify: {webhook: \"http://127.0.0.1:\(port)/hook\"}\n")
        var daemon = try Self.daemon(setup, ["--notify-retry-delay", "2s"])
        #expect(await waitUntil { setup.files.result("fails") != nil }, "\(daemon.log)")
        try setup.trigger("fails")
        #expect(await waitUntil { setup.files.executions("fails").first.map { Self.notifications($0).count == 1 } == true }, "\(daemon.log)")
        let refused = try #require(setup.files.executions("fails").first.flatMap { Self.notifications($0).first })
        #expect(refused["ok"] as? Bool == false)
        #expect(refused["http_status"] is NSNull)
        #expect((refused["error"] as? String)?.isEmpty == false)
        let pending = try #require(try FileManager.default.contentsOfDirectory(atPath: setup.state + "/notifications").first { $0.hasSuffix(".json") })
        #expect(daemon.stop() == 0)

        let server = try ScriptedHTTPServer(port: port)
        defer { server.stop() }
        daemon = try Self.daemon(setup, ["--notify-retry-delay", "2s"])
        #expect(await waitUntil(timeout: .seconds(15)) { server.requests.count == 1 }, "\(daemon.log)")
        #expect(server.requests[0].json?["state"] as? String == "failed")
        #expect((server.requests[0].json?["output"] as? [String: Any])?["tail"] as? String == "lost\n")
        #expect(await waitUntil { setup.files.executions("fails").first.map { Self.notifications($0).count == 2 } == true }, "\(daemon.log)")
        let delivered = try #require(setup.files.executions("fails").first.flatMap { Self.notifications($0).last })
        #expect(delivered["ok"] as? Bool == true)
        #expect(delivered["attempt"] as? Int == 2)
        #expect(await waitUntil { !FileManager.default.fileExists(atPath: setup.state + "/notifications/" + pending) })
        #expect(daemon.stop() == 0)
    }

    @Test func aRecordRemovedByRetentionIsNotWrittenAgainByLaterAttempts() async throws {
        let port = try Self.closedPort()
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("often.yaml", "command: \"exit 1\"\nhistory: {keep: 1}\nnotify: {webhook: \"http://127.0.0.1:\(port)/hook\"}\n")
        let daemon = try Self.daemon(setup, ["--notify-retry-delay", "100ms"])
        #expect(await waitUntil { setup.files.result("often") != nil }, "\(daemon.log)")
        try setup.trigger("often")
        #expect(await waitUntil { setup.files.executions("often").first.map { Self.notifications($0).count >= 1 } == true }, "\(daemon.log)")
        let first = try #require(setup.files.executions("often").first?["id"] as? String)
        try setup.trigger("often")
        // Both deliveries use up their attempts; only the newer record is kept. (The record
        // and its pending deliveries are two files: wait for the last attempt in the record.)
        #expect(await waitUntil(timeout: .seconds(20)) {
            setup.files.executions("often").count == 1 && setup.files.executions("often")[0]["id"] as? String != first
                && setup.files.executions("often").first.map { Self.notifications($0).count == 5 } == true
                && ((try? FileManager.default.contentsOfDirectory(atPath: setup.state + "/notifications")) ?? []).filter { !$0.hasPrefix(".") }.isEmpty
        }, "\(daemon.log)")
        #expect(setup.files.executions("often").count == 1)
        #expect(setup.files.executions("often").first.map { Self.notifications($0).count } == 5)
        #expect(daemon.log.components(separatedBy: "execution=\(first) target=webhook").count - 1 == 5, "every attempt of the first was still made")
        #expect(daemon.stop() == 0)
    }

    @Test func aServerThatNeverAnswersTimesOutWhileOtherJobsFireOnTime() async throws {
        let server = try ScriptedHTTPServer { _, _ in .silence }
        defer { server.stop() }
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("fails.yaml", "command: \"exit 1\"\nnotify: {webhook: \"\(server.url("/hook"))\"}\n")
        try setup.job("tick.yaml", "command: [/bin/true]\nschedule: '* * * * * *'\nhistory: {keep: 1000}\n")
        let daemon = try Self.daemon(setup, ["--notify-retry-delay", "10m"])
        // A few ticks first: how late this job starts on this machine, as it is loaded now.
        #expect(await waitUntil(timeout: .seconds(15)) { setup.files.executions("tick", state: "succeeded").count >= 4 }, "\(daemon.log)")
        try setup.trigger("fails")
        #expect(await waitUntil { server.requests.count == 1 }, "\(daemon.log)")
        let sent = Date()
        #expect(await waitUntil(timeout: .seconds(20)) { setup.files.executions("fails").first.map { Self.notifications($0).count == 1 } == true }, "\(daemon.log)")
        let waited = Date().timeIntervalSince(sent)
        let attempt = try #require(setup.files.executions("fails").first.flatMap { Self.notifications($0).first })
        #expect(attempt["ok"] as? Bool == false)
        #expect((attempt["error"] as? String)?.lowercased().contains("timed out") == true, "\(attempt)")
        #expect(waited > 8.5 && waited < 13, "the attempt ended after \(waited) s")
        // The per-second job kept its schedule meanwhile: each tick started about as late
        // as the ticks before the request did. A loop held by the request for even a
        // fraction of its 10 s would start some tick far later than that.
        let ticks = setup.files.executions("tick").compactMap(Self.tickDelay).sorted { $0.scheduled < $1.scheduled }
        // (The first tick, which may wait for the daemon's start, is not a measure.)
        let before = ticks.filter { $0.scheduled < sent }.dropFirst().map(\.delay)
        let during = ticks.filter { $0.scheduled > sent && $0.scheduled < sent.addingTimeInterval(waited) }.map(\.delay)
        #expect(before.count >= 3, "\(before.count) ticks before the request")
        #expect(during.count >= 7, "\(during.count) ticks in \(waited) s")
        let bound = max(0.3, (before.max() ?? 0) + 0.25)
        let late = during.filter { $0 >= bound }
        #expect(late.isEmpty, "ticks started \(late) s late (before the request: at most \(before.max() ?? 0) s)")
        #expect(daemon.stop() == 0)
    }

    /// When a record of the per-second job was due, and how long after that it started.
    static func tickDelay(_ record: [String: Any]) -> (scheduled: Date, delay: Double)? {
        guard let scheduled = ((record["trigger"] as? [String: Any])?["scheduled_for"] as? String).flatMap(date),
              let started = (record["started_at"] as? String).flatMap(date) else { return nil }
        return (scheduled, started.timeIntervalSince(scheduled))
    }

    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    @Test func commandNotifierGetsTheRecordOnStdinAndAFailingOneIsNotRetriedForever() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let kept = setup.dir.url("told.json")
        let envFile = try setup.dir.write("jobs/secret.env", "API_KEY=hunter2-from-env-file\n", mode: 0o600)
        try setup.job("fails.yaml", """
            command: "echo bad; exit 4"
            env_file: \(envFile)
            notify:
              command: ["/bin/sh", "-c", "cat > \(kept); echo \\"$JOBDIR_NOTIFY_EVENT $JOBDIR_JOB\\" >> \(kept).env; env > \(kept).all"]

            """)
        try setup.job("broken.yaml", "command: \"exit 1\"\nnotify: {command: \"echo notifier is broken >&2; exit 9\"}\n")
        let daemon = try Self.daemon(setup, ["--notify-retry-delay", "100ms"])
        #expect(await waitUntil { setup.files.result("fails") != nil && setup.files.result("broken") != nil }, "\(daemon.log)")
        try setup.trigger("fails")
        #expect(await waitUntil { setup.files.executions("fails").first.map { Self.notifications($0).count == 1 } == true }, "\(daemon.log)")
        let record = try #require(setup.files.executions("fails").first)
        let told = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: kept))) as? [String: Any])
        #expect(told["id"] as? String == record["id"] as? String)
        #expect(told["state"] as? String == "failed")
        #expect(told["exit_code"] as? Int == 4)
        #expect(try String(contentsOfFile: kept + ".env", encoding: .utf8) == "failure fails\n")
        // The job's env_file values go to the job only: not to the notifier, the record or the log.
        #expect(try !String(contentsOfFile: kept + ".all", encoding: .utf8).contains("hunter2"))
        #expect(!Self.allText(under: setup.state).contains("hunter2"))
        #expect(!daemon.log.contains("hunter2"))
        let attempt = try #require(Self.notifications(record).first)
        #expect(attempt["target"] as? String == "command" && attempt["ok"] as? Bool == true && attempt["exit_code"] as? Int == 0)

        try setup.trigger("broken")
        #expect(await waitUntil { setup.files.executions("broken").first.map { Self.notifications($0).count == 5 } == true }, "\(daemon.log)")
        #expect(await waitUntil { ((try? FileManager.default.contentsOfDirectory(atPath: setup.state + "/notifications")) ?? []).filter { !$0.hasPrefix(".") }.isEmpty })
        let attempts = Self.notifications(try #require(setup.files.executions("broken").first))
        #expect(attempts.count == 5)
        #expect(attempts.allSatisfy { $0["ok"] as? Bool == false && $0["exit_code"] as? Int == 9 })
        #expect(attempts.last?["error"] as? String == "exit 9: notifier is broken")
        #expect(attempts.last?["retry_at"] is NSNull)
        #expect(daemon.stop() == 0)
    }

    @Test func mailGoesThroughSendmailWithToSubjectAndTheTail() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let kept = setup.dir.url("mail.txt")
        let sendmail = try setup.dir.write("sendmail", "#!/bin/sh\necho \"args: $*\" > \(kept)\ncat >> \(kept)\n", mode: 0o755)
        try setup.job("backup.yaml", "command: \"echo disk full; exit 3\"\nnotify: {mail: [ops@example.com, root]}\n")
        let daemon = try Self.daemon(setup, ["--sendmail", sendmail])
        #expect(await waitUntil { setup.files.result("backup") != nil }, "\(daemon.log)")
        try setup.trigger("backup")
        #expect(await waitUntil { setup.files.executions("backup").first.map { Self.notifications($0).count == 1 } == true }, "\(daemon.log)")
        let message = try String(contentsOfFile: kept, encoding: .utf8)
        let lines = message.components(separatedBy: "\n")
        let host = ProcessInfo.processInfo.hostName
        #expect(lines.first == "args: -i -t")
        #expect(lines.contains("To: ops@example.com, root"))
        #expect(lines.contains("Subject: jobdir: backup failed (exit 3) on \(host)"))
        let body = message.components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n")
        #expect(body.hasPrefix("disk full\n"))
        let attempt = try #require(setup.files.executions("backup").first.flatMap { Self.notifications($0).first })
        #expect(attempt["target"] as? String == "mail" && attempt["ok"] as? Bool == true)
        #expect(daemon.stop() == 0)
    }

    @Test func anIdleDaemonWithNotifyConfiguredDoesNotWakeUp() async throws {
        let server = try ScriptedHTTPServer()
        defer { server.stop() }
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.dir.write("jobs/_defaults.yaml", "notify: {on: [always], webhook: \"\(server.url("/hook"))\"}\nping: \(server.url("/ping"))\n")
        try setup.job("once.yaml", "command: \"true\"\n")
        let daemon = try Self.daemon(setup)
        #expect(await waitUntil { setup.files.result("once") != nil }, "\(daemon.log)")
        try setup.trigger("once")
        // A run of `true` may end before its `/start` ping is sent (then that ping is
        // dropped): 2 or 3 attempts, every one the server saw.
        #expect(await waitUntil {
            guard let attempts = setup.files.executions("once").first.map({ Self.notifications($0) }) else { return false }
            let ended = attempts.contains { $0["target"] as? String == "webhook" }
                && attempts.contains { $0["target"] as? String == "ping" && $0["event"] as? String == "success" }
            return ended && server.requests.count == attempts.count
        }, "\(daemon.log)")
        // After the deliveries (once the last turn's writes are done): no socket watched,
        // the client's timer disarmed, so the daemon sleeps.
        try await Self.expectIdle(daemon, setup)
        #expect(daemon.stop() == 0)
    }

    @Test func aDaemonIsIdleAgainAfterADeliveryToAKeepAliveServer() async throws {
        // The server keeps the connection open after answering, so libcurl keeps it in its
        // cache: an idle connection the loop must not watch, and no timer for it.
        let server = try ScriptedHTTPServer { _, _ in .answer(200, body: "ok\n", keepAlive: true) }
        defer { server.stop() }
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("once.yaml", "command: \"true\"\nnotify: {on: [always], webhook: \"\(server.url("/hook"))\"}\nping: \(server.url("/ping"))\n")
        let daemon = try Self.daemon(setup)
        #expect(await waitUntil { setup.files.result("once") != nil }, "\(daemon.log)")
        // A run of `true` may end before its `/start` ping is sent: then that ping is dropped
        // (healthchecks.io must never see a start after the end), so a run has 2 or 3 attempts.
        func delivered(_ runs: Int) -> Bool {
            let records = setup.files.executions("once")
            let attempts = records.map { Self.notifications($0).count }
            return records.count == runs && attempts.allSatisfy { (2...3).contains($0) } && server.requests.count == attempts.reduce(0, +)
        }
        try setup.trigger("once")
        #expect(await waitUntil { delivered(1) }, "\(daemon.log)")
        #expect(server.openConnections >= 1, "libcurl kept a connection to the server")
        try await Self.expectIdle(daemon, setup)
        #expect(server.openConnections >= 1, "the idle connection is still kept")
        // The kept connection serves the next delivery.
        try setup.trigger("once")
        #expect(await waitUntil { delivered(2) }, "\(daemon.log)")
        try await Self.expectIdle(daemon, setup)
        #expect(daemon.stop() == 0)
    }

    /// Expects the daemon to settle (no context switch for half a second once nothing is
    /// pending: a loaded machine may delay its last turn), then not to wake for 3 s.
    static func expectIdle(_ daemon: DaemonProcess, _ setup: Setup, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var last = contextSwitches(daemon.pid)
        var lastChange = Date()
        #expect(await waitUntil(timeout: .seconds(20)) {
            let now = contextSwitches(daemon.pid)
            if now != last {
                last = now
                lastChange = Date()
            }
            return Date().timeIntervalSince(lastChange) >= 0.5
                && ((try? FileManager.default.contentsOfDirectory(atPath: setup.state + "/notifications")) ?? []).isEmpty
        }, sourceLocation: sourceLocation)
        let before = contextSwitches(daemon.pid)
        try await Task.sleep(for: .seconds(3))
        let after = contextSwitches(daemon.pid)
        #expect(after - before == 0, "the idle daemon woke \(after - before) times in 3 s", sourceLocation: sourceLocation)
    }

    /// Voluntary and involuntary context switches of every thread of `pid`.
    static func contextSwitches(_ pid: Int32) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.reduce(0) { total, task in
            let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)) ?? ""
            return total + status.split(separator: "\n").filter { $0.hasPrefix("voluntary_ctxt_switches") || $0.hasPrefix("nonvoluntary_ctxt_switches") }
                .compactMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }.reduce(0, +)
        }
    }

    @Test func notifyTestSendsASampleAndPrintsEachAnswer() async throws {
        let server = try ScriptedHTTPServer { _, request in request.path == "/hook" ? .status(204) : .status(503) }
        defer { server.stop() }
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("alerting.yaml", """
            command: "true"
            notify: {webhook: "\(server.url("/hook"))", command: ["/bin/sh", "-c", "exit 2"]}
            ping: \(server.url("/ping/x"))

            """)
        let result = try ProcessRunner.jobdir(["notify-test", "alerting", "--jobs", setup.jobs, "--state", setup.state, "--ping"])
        #expect(result.status == 1, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("webhook (failure): ok HTTP 204"), "\(result.stdout)")
        #expect(lines.contains("command (failure): FAILED: exit 2"), "\(result.stdout)")
        #expect(lines.contains("ping/fail (failure): FAILED HTTP 503: status 503"), "\(result.stdout)")
        #expect(server.requests.first { $0.path == "/hook" }?.json?["job"] as? String == "alerting")
        // A sample touches no state.
        #expect(!FileManager.default.fileExists(atPath: setup.state + "/executions"))
        let unknown = try ProcessRunner.jobdir(["notify-test", "nope", "--jobs", setup.jobs, "--state", setup.state])
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown job `nope`"))
    }

    @Test func notifyTestPrintsTheStartOfTheServersAnswerOnOneLine() async throws {
        let long = String(repeating: "x", count: 300)
        let server = try ScriptedHTTPServer { _, request in
            request.path == "/hook" ? .answer(403, body: "invalid_token\r\n\tsee\u{1b}[31m docs\n" + long) : .answer(200, body: "")
        }
        defer { server.stop() }
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("alerting.yaml", "command: \"true\"\nnotify: {webhook: \"\(server.url("/hook"))\"}\nping: \(server.url("/ping/x"))\n")
        let result = try ProcessRunner.jobdir(["notify-test", "alerting", "--jobs", setup.jobs, "--state", setup.state, "--ping"])
        #expect(result.status == 1, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // The first 200 bytes, control characters and line breaks made single spaces.
        let answer = "invalid_token see [31m docs " + String(repeating: "x", count: 200 - 30)
        #expect(lines.contains("webhook (failure): FAILED HTTP 403: " + answer), "\(result.stdout)")
        #expect(lines.contains("ping/fail (failure): ok HTTP 200"), "\(result.stdout)")
        #expect(lines.count == 2, "\(result.stdout)")

        let json = try ProcessRunner.jobdir(["notify-test", "alerting", "--jobs", setup.jobs, "--state", setup.state, "--json"])
        let attempts = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]], "\(json.stdout)")
        #expect(attempts.first?["answer"] as? String == answer, "\(json.stdout)")
        #expect(attempts.first?["http_status"] as? Int == 403)
    }
}
