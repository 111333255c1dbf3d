import Foundation
import Testing
import TestSupport

/// Run policies end to end: overlap, pools, retries, catch-up.
@Suite(.serialized) struct PolicyTests {
    typealias Setup = DaemonTests.Setup

    static func time(_ record: [String: Any], _ key: String) -> Date? {
        guard let text = record[key] as? String else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// The most runs of `records` that were running at one instant.
    static func peakConcurrency(_ records: [[String: Any]]) -> Int {
        var events: [(Date, Int)] = []
        for record in records {
            guard let start = time(record, "started_at"), let end = time(record, "finished_at") else { continue }
            events.append((start, 1))
            events.append((end, -1))
        }
        var current = 0, peak = 0
        for (_, delta) in events.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            current += delta
            peak = max(peak, current)
        }
        return peak
    }

    func triggerThree(_ setup: Setup, _ job: String) async throws {
        try setup.trigger(job)
        #expect(await waitUntil { setup.files.executions(job).first?["pid"] is Int })
        for index in 0..<2 {
            try setup.trigger("\(job)@\(index)")
            #expect(await waitUntil { setup.files.executions(job).count == 2 + index })
        }
    }

    @Test func overlapModes() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        // Each run goes on until the test lets it end: the three triggers of a job land while
        // its first run runs, however loaded the machine.
        let go = setup.dir.url("go")
        for mode in ["skip", "queue", "allow", "replace"] {
            try setup.job("\(mode).yaml", "command: 'while [ ! -e \(go) ]; do sleep 0.05; done'\noverlap: \(mode)\nmax_queued: 1\n")
        }
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("replace") != nil })
        for mode in ["skip", "queue", "allow", "replace"] { try await triggerThree(setup, mode) }
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        #expect(await waitUntil(timeout: .seconds(40)) {
            ["skip", "queue", "allow", "replace"].allSatisfy { mode in setup.files.executions(mode).allSatisfy { ($0["finished_at"] as? String) != nil } }
        }, "\(daemon.log)")
        let states = { (job: String) in setup.files.executions(job).map { $0["state"] as! String } }
        let kinds = { (job: String) in setup.files.executions(job).map { ($0["error"] as? [String: Any])?["kind"] as? String ?? "-" } }
        #expect(states("skip") == ["succeeded", "skipped", "skipped"])
        #expect(kinds("skip") == ["-", "overlap", "overlap"])
        #expect(states("queue") == ["succeeded", "succeeded", "skipped"], "queue holds one, skips the excess")
        #expect(Self.peakConcurrency(setup.files.executions("queue")) == 1)
        #expect(states("allow") == ["succeeded", "succeeded", "succeeded"])
        #expect(Self.peakConcurrency(setup.files.executions("allow")) == 3)
        #expect(states("replace") == ["canceled", "canceled", "succeeded"])
        #expect(daemon.stop() == 0)
    }

    @Test func twentyJobsInAPoolOfTwoNeverExceedTwo() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        for index in 0..<20 { try setup.job("p\(index).yaml", "command: sleep 0.2\npool: db\n") }
        let daemon = try setup.start(["--pool", "db=2"])
        #expect(await waitUntil { (0..<20).allSatisfy { setup.files.result("p\($0)") != nil } })
        for index in 0..<20 { try setup.trigger("p\(index)") }
        #expect(await waitUntil(timeout: .seconds(30)) { (0..<20).allSatisfy { setup.files.executions("p\($0)", state: "succeeded").count == 1 } }, "\(daemon.log)")
        let records = (0..<20).flatMap { setup.files.executions("p\($0)") }
        #expect(Self.peakConcurrency(records) == 2)
        #expect(daemon.stop() == 0)
    }

    @Test func failingJobIsRetriedWithBackoffThenSucceeds() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let counter = setup.dir.url("count")
        try setup.job("flaky.yaml", """
        command: 'n=$(cat \(counter) 2>/dev/null || echo 0); n=$((n+1)); echo $n > \(counter); [ $n -ge 3 ]'
        retries: {max: 3, backoff: 200ms, max_backoff: 1s}
        """)
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("flaky") != nil })
        try setup.trigger("flaky")
        #expect(await waitUntil { setup.files.executions("flaky", state: "succeeded").count == 1 }, "\(daemon.log)")
        let records = setup.files.executions("flaky").sorted { ($0["attempt"] as! Int) < ($1["attempt"] as! Int) }
        #expect(records.map { $0["attempt"] as! Int } == [1, 2, 3])
        #expect(records.map { $0["state"] as! String } == ["failed", "failed", "succeeded"])
        #expect(Set(records.map { $0["occurrence"] as! String }).count == 1, "a retry is the same occurrence")
        #expect(records[1]["retry_of"] as? String == records[0]["id"] as? String)
        #expect(records[2]["retry_of"] as? String == records[1]["id"] as? String)
        for (failed, next) in zip(records, records.dropFirst()) {
            let retryAt = try #require(((failed["trigger"] as? [String: Any])?["retry_at"] as? String).flatMap { Self.time(["t": $0], "t") })
            let finished = try #require(Self.time(failed, "finished_at"))
            #expect(retryAt >= finished && retryAt <= finished.addingTimeInterval(1.001))
            #expect(try #require(Self.time(next, "created_at")) >= retryAt)
        }
        #expect(daemon.stop() == 0)
    }

    @Test func catchupAfterDowntime() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        for mode in ["none", "latest", "all"] {
            try setup.job("\(mode).yaml", "command: 'true'\nschedule: '* * * * * *'\ncatchup: \(mode)\n")
        }
        let daemon = try setup.start()
        #expect(await waitUntil { ["none", "latest", "all"].allSatisfy { !setup.files.executions($0).isEmpty } })
        #expect(daemon.stop() == 0)
        // The behaviour under test is downtime: let at least three slots pass with no daemon.
        let downSince = Date()
        #expect(await waitUntil { Date().timeIntervalSince(downSince) > 3.6 })
        let restarted = try setup.start()
        #expect(await waitUntil { ["none", "latest", "all"].allSatisfy { mode in
            setup.files.executions(mode).contains { Self.time(($0["trigger"] as? [String: Any]) ?? [:], "scheduled_for").map { $0 > downSince.addingTimeInterval(4) } ?? false }
        } }, "\(restarted.log)")
        #expect(restarted.stop() == 0)
        let catchups = { (job: String) in setup.files.executions(job).filter { ($0["trigger"] as? [String: Any])?["catchup"] as? Bool == true }.count }
        #expect(catchups("none") == 0)
        #expect(catchups("latest") == 1)
        #expect(catchups("all") >= 2, "each missed slot but the latest, which is on time")
        for mode in ["none", "latest", "all"] {
            let slots = setup.files.executions(mode).compactMap { ($0["trigger"] as? [String: Any])?["scheduled_for"] as? String }
            #expect(Set(slots).count == slots.count, "\(mode) ran a slot twice")
        }
    }
}
