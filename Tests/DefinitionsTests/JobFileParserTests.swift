import Foundation
import Testing
import TestSupport
@testable import Definitions

@Suite struct JobFileParserTests {
    func parse(_ text: String, defaults: String? = nil) -> Result<JobDefinition, Diagnostics> {
        let (root, problems) = YAMLReader(file: "job.yaml").read(Array(text.utf8))
        guard problems.isEmpty, let root else { return .failure(Diagnostics(problems)) }
        let defaultsNode = defaults.flatMap { YAMLReader(file: "_defaults.yaml").read(Array($0.utf8)).root }
        return JobFileParser(directory: "/jobs/dir").parse(root, defaults: defaultsNode, id: JobID("job")!, file: "job.yaml", sha256: "abc")
    }

    func problems(_ text: String) -> [String] {
        switch parse(text) {
        case .success: return []
        case .failure(let found): return found.items.map(\.description)
        }
    }

    @Test func readsEveryKey() throws {
        let definition = try parse("""
        description: Every key
        command: ["/usr/bin/env", 5, true]
        shell: /bin/bash
        workdir: work
        env: {A: "x ${HOME}", N: 1}
        env_file: [a.env, /etc/b.env]
        schedule: ["0 3 * * *", "@every 90s", "@reboot"]
        timezone: Europe/Berlin
        every: 1h30m
        at: [2027-01-01T00:00:00+01:00, 2026-12-01T08:00:00Z]
        watch: {paths: "in/*.csv", events: [create, move], debounce: 500ms}
        after: [a, {job: reports/b, on: failure}]
        enabled: no
        timeout: 5m
        kill_grace: 0
        retries: {max: 3, backoff: 5s, max_backoff: 1m}
        overlap: queue
        max_queued: 4
        pool: db
        catchup: all
        max_catchup: 7
        starting_deadline: 10m
        approval: {approvers: [alice, "@ops"], timeout: 2h}
        output: {max_bytes: 64KiB}
        history: {keep: 20, max_age: 30d}
        labels: {team: ops, tier: 1}
        """).get()
        #expect(definition.description == "Every key")
        #expect(definition.command == .argv(["/usr/bin/env", "5", "true"]))
        #expect(definition.argv == ["/usr/bin/env", "5", "true"])
        #expect(definition.shell == "/bin/bash")
        #expect(definition.workdir == "/jobs/dir/work")
        #expect(definition.env == [EnvironmentEntry(name: "A", value: "x ${HOME}"), EnvironmentEntry(name: "N", value: "1")])
        #expect(definition.envFiles == ["/jobs/dir/a.env", "/etc/b.env"])
        #expect(definition.schedules.count == 3)
        #expect(definition.schedules[1] == .every(.seconds(90)))
        #expect(definition.schedules[2] == .reboot)
        if case .cron(let expression) = definition.schedules[0] { #expect(expression.text == "0 3 * * *") } else { Issue.record("not cron") }
        #expect(definition.timezone == "Europe/Berlin")
        #expect(definition.every == .seconds(5400))
        #expect(definition.at == [Date(timeIntervalSince1970: 1_796_112_000), Date(timeIntervalSince1970: 1_798_758_000)])
        #expect(definition.watch == WatchTrigger(paths: ["in/*.csv"], events: [.create, .move], debounce: .milliseconds(500)))
        #expect(definition.after.map(\.job.rawValue) == ["a", "reports/b"])
        #expect(definition.after.map(\.on) == [.success, .failure])
        #expect(definition.enabled == false)
        #expect(definition.timeout == .seconds(300))
        #expect(definition.killGrace == .zero)
        #expect(definition.retries == RetryPolicy(max: 3, backoff: .seconds(5), maxBackoff: .seconds(60)))
        #expect(definition.overlap == .queue)
        #expect(definition.maxQueued == 4)
        #expect(definition.pool == "db")
        #expect(definition.catchup == .all)
        #expect(definition.maxCatchup == 7)
        #expect(definition.startingDeadline == .seconds(600))
        #expect(definition.approval == ApprovalPolicy(approvers: ["alice", "@ops"], timeout: .seconds(7200)))
        #expect(definition.output.maxBytes == 65_536)
        #expect(definition.history == HistoryPolicy(keep: 20, maxAge: .seconds(30 * 86_400)))
        #expect(definition.labels == ["team": "ops", "tier": "1"])
        #expect(definition.hasTrigger)
    }

    @Test func appliesTheDocumentedDefaults() throws {
        let definition = try parse("command: echo hi\n").get()
        #expect(definition.argv == ["/bin/sh", "-c", "echo hi"])
        #expect(definition.workdir == "/jobs/dir")
        #expect(definition.enabled)
        #expect(definition.killGrace == .seconds(10))
        #expect(definition.retries.max == 0)
        #expect(definition.overlap == .skip)
        #expect(definition.maxQueued == 10)
        #expect(definition.catchup == .none)
        #expect(definition.maxCatchup == 100)
        #expect(definition.output.maxBytes == 10 << 20)
        #expect(definition.history == HistoryPolicy(keep: 100, maxAge: nil))
        #expect(definition.approval == nil)
        #expect(!definition.hasTrigger)
    }

    @Test func shortForms() throws {
        let definition = try parse("command: x\nretries: 2\napproval: required\nafter: up\nwatch: {paths: f, events: delete}\nat: 2027-01-01T00:00:00Z\n").get()
        #expect(definition.retries == RetryPolicy(max: 2, backoff: .seconds(10), maxBackoff: .seconds(600)))
        #expect(definition.approval == ApprovalPolicy(approvers: [], timeout: .seconds(86_400)))
        #expect(definition.after.map(\.job.rawValue) == ["up"])
        #expect(definition.watch?.events == [.delete])
        #expect(definition.at.count == 1)
    }

    @Test func mergesDefaultsUnderTheJob() throws {
        let definition = try parse("command: x\ntimeout: 1m\nenv: {B: job}\nlabels: {a: job}\n",
                                   defaults: "timeout: 5m\nretries: 2\nenv: {A: d, B: d}\nlabels: {a: d, b: d}\n").get()
        #expect(definition.timeout == .seconds(60))
        #expect(definition.retries.max == 2)
        #expect(definition.env.map(\.name) == ["A", "B"])
        #expect(definition.env.last?.value == "job")
        #expect(definition.labels == ["a": "job", "b": "d"])
    }

    @Test func reportsAllErrorsOfAFileWithPositions() {
        #expect(problems("command: 5\ntimeout: soon\nretries: -1\nscedule: x\nwatch: {events: [burn]}\n") == [
            "job.yaml:1:10: `command` must be a string; found an integer (quote it to make it a string)",
            "job.yaml:2:10: `timeout` must be a duration like 500ms, 90s, 5m, 1h30m or 2d; found `soon`",
            "job.yaml:3:10: `retries` must be between 0 and 1000; found -1",
            "job.yaml:4:1: unknown key `scedule`; did you mean `schedule`?",
            "job.yaml:5:8: `watch` needs `paths`: the files or globs to watch",
            "job.yaml:5:18: `watch.events` must be one of create, modify, delete, move; found `burn`",
        ])
    }

    @Test func unknownKeysWithNoCloseMatchListTheKnownOnes() {
        #expect(problems("command: x\nfrobnicate: 1\n").first?.hasPrefix("job.yaml:2:1: unknown key `frobnicate`; known keys: description, command") == true)
    }

    @Test func refusesBadValues() {
        #expect(problems("command: []\n") == ["job.yaml:1:10: `command` must not be an empty list"])
        #expect(problems("command: x\nretries: {backoff: 1m, max_backoff: 10s}\n") == ["job.yaml:2:10: `retries.max_backoff` (10s) is shorter than `retries.backoff` (1m)"])
        #expect(problems("command: x\nschedule: '@every soon'\n") == ["job.yaml:2:11: `schedule`: `@every` needs a duration like 90s or 1h30m; found `soon`"])
        #expect(problems("command: x\npool: 'a b'\n") == ["job.yaml:2:7: `pool` must be a name of letters, digits, `.`, `_` and `-`; found `a b`"])
        #expect(problems("command: x\nafter: ../up\n") == ["job.yaml:2:8: `after`: `../up` is not a job id (a path below the jobs directory without extension, like reports/weekly)"])
        #expect(problems("command: x\nafter: job\n") == ["job.yaml:2:8: a job cannot run after itself"])
        #expect(problems("command: x\napproval: {approvers: ['a b']}\n") == ["job.yaml:2:24: `approval.approvers`: `a b` is not a user name or @group"])
        #expect(problems("command: x\nmax_queued: 0\n") == ["job.yaml:2:13: `max_queued` must be between 1 and 10000; found 0"])
        #expect(problems("command: x\nlabels: [a]\n") == ["job.yaml:2:9: `labels` must be a mapping of name: value; found a list"])
    }
}
