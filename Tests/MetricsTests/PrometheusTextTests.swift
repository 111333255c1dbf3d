import Cron
import Foundation
import Metrics
import Scheduling
import Testing
import TestSupport

@Suite struct PrometheusTextTests {
    static let started = Timestamp.parse("2026-11-23T01:00:00.250Z")!
    static let success = Timestamp.parse("2026-11-23T01:30:01.500Z")!

    /// A job that succeeded twice, failed, and is due again; and one failing three times in a row.
    static func snapshot(up: Bool = true) -> MetricsSnapshot {
        var good = JobResult(job: "reports/weekly", file: "reports/weekly.yaml", updatedAt: success)
        good.loaded = true
        good.lastStartedAt = Timestamp.parse("2026-11-23T01:30:00.000Z")
        good.lastSuccessAt = success
        good.lastExecution = .init(id: "20261123T013000.000Z-cron-7f3a", state: "succeeded", finishedAt: success, exitCode: 0, durationMilliseconds: 1500)
        good.counts = ["succeeded": 2, "failed": 1]
        good.nextDue = ["cron": Timestamp.parse("2026-11-30T01:30:00.000Z")!, "at": Timestamp.parse("2026-11-24T00:00:00.000Z")!]
        var bad = JobResult(job: "flaky", file: "flaky.yaml", updatedAt: success)
        bad.loaded = true
        bad.consecutiveFailures = 3
        bad.counts = ["failed": 2, "timed_out": 1]
        bad.definitionError = "flaky.yaml:2:1: unknown key `scedule`"
        bad.running = ["20261123T013500.000Z-manual-0001"]
        bad.queued = [.init(id: "20261123T013600.000Z-manual-0002", reason: "overlap")]
        return MetricsSnapshot(up: up, startedAt: up ? started : nil, version: "0.1.0", commit: "abc123", jobs: [good, bad])
    }

    @Test func valuesMatchTheResults() throws {
        let text = PrometheusText.render(Self.snapshot())
        let parsed = PrometheusSamples(text)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        #expect(parsed.value("jobdir_up") == 1)
        #expect(parsed.value("jobdir_start_time_seconds") == Self.started.timeIntervalSince1970)
        #expect(parsed.value("jobdir_build_info", ["version": "0.1.0", "commit": "abc123"]) == 1)
        #expect(parsed.value("jobdir_job_consecutive_failures", ["job_id": "flaky"]) == 3)
        #expect(parsed.value("jobdir_job_consecutive_failures", ["job_id": "reports/weekly"]) == 0)
        #expect(parsed.value("jobdir_job_last_success_timestamp_seconds", ["job_id": "reports/weekly"]) == 1_795_397_401.5)
        #expect(parsed.value("jobdir_job_last_start_timestamp_seconds", ["job_id": "reports/weekly"]) == 1_795_397_400)
        #expect(parsed.value("jobdir_job_last_duration_seconds", ["job_id": "reports/weekly"]) == 1.5)
        // The earliest of the job's triggers.
        #expect(parsed.value("jobdir_job_next_due_timestamp_seconds", ["job_id": "reports/weekly"]) == Timestamp.parse("2026-11-24T00:00:00.000Z")!.timeIntervalSince1970)
        #expect(parsed.value("jobdir_job_runs_total", ["job_id": "reports/weekly", "state": "succeeded"]) == 2)
        #expect(parsed.value("jobdir_job_runs_total", ["job_id": "flaky", "state": "timed_out"]) == 1)
        #expect(parsed.value("jobdir_job_runs_total", ["job_id": "flaky", "state": "succeeded"]) == 0)
        #expect(parsed.all("jobdir_job_runs_total").count == 2 * 8)
        #expect(parsed.value("jobdir_job_definition_invalid", ["job_id": "flaky"]) == 1)
        #expect(parsed.value("jobdir_job_definition_invalid", ["job_id": "reports/weekly"]) == 0)
        #expect(parsed.value("jobdir_job_running", ["job_id": "flaky"]) == 1)
        #expect(parsed.value("jobdir_job_queued", ["job_id": "flaky"]) == 1)
        #expect(parsed.types["jobdir_job_runs_total"] == "counter")
        #expect(parsed.types["jobdir_job_running"] == "gauge")
    }

    @Test func aFailingStateDirectoryIsShown() {
        var snapshot = Self.snapshot()
        snapshot.stateHealth = (writable: false, owedWrites: 7)
        let parsed = PrometheusSamples(PrometheusText.render(snapshot))
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        #expect(parsed.value("jobdir_state_directory_writable") == 0)
        #expect(parsed.value("jobdir_state_owed_writes") == 7)
        snapshot.stateHealth = nil
        #expect(PrometheusSamples(PrometheusText.render(snapshot)).value("jobdir_state_directory_writable") == nil, "no daemon, nothing to say")
    }

    @Test func timesNotYetKnownHaveNoSample() {
        let parsed = PrometheusSamples(PrometheusText.render(Self.snapshot(up: false)))
        #expect(parsed.value("jobdir_up") == 0)
        #expect(parsed.all("jobdir_start_time_seconds").isEmpty)
        #expect(parsed.value("jobdir_job_last_success_timestamp_seconds", ["job_id": "flaky"]) == nil)
        #expect(parsed.value("jobdir_job_last_start_timestamp_seconds", ["job_id": "flaky"]) == nil)
        #expect(parsed.value("jobdir_job_next_due_timestamp_seconds", ["job_id": "flaky"]) == nil)
        // Every family still has its HELP and TYPE.
        #expect(parsed.helps["jobdir_job_last_success_timestamp_seconds"] != nil)
    }

    @Test func aRemovedJobHasNoSeriesButAnInvalidNewOneHas() {
        var snapshot = Self.snapshot()
        var removed = JobResult(job: "gone", file: "gone.yaml", updatedAt: Self.success)
        removed.loaded = true
        removed.consecutiveFailures = 4
        removed.counts = ["failed": 4]
        removed.noteRemoved()
        var invalid = JobResult(job: "new", file: "new.yaml", updatedAt: Self.success)
        invalid.definitionError = "new.yaml:1:1: unknown key `comand`"
        snapshot.jobs += [removed, invalid]
        let text = PrometheusText.render(snapshot)
        #expect(!text.contains("job_id=\"gone\""), "\(text)")
        let parsed = PrometheusSamples(text)
        #expect(parsed.value("jobdir_job_definition_invalid", ["job_id": "new"]) == 1)
        #expect(parsed.value("jobdir_job_consecutive_failures", ["job_id": "flaky"]) == 3)
    }

    @Test func labelValuesAreEscaped() {
        var snapshot = Self.snapshot()
        snapshot.commit = "a\"b\\c\nd"
        let text = PrometheusText.render(snapshot)
        #expect(text.contains(#"commit="a\"b\\c\nd""#))
        #expect(PrometheusSamples(text).value("jobdir_build_info", ["commit": "a\"b\\c\nd"]) == 1)
    }

    @Test func jobsAreSortedSoTheTextIsStable() {
        var reversed = Self.snapshot()
        reversed.jobs.reverse()
        #expect(PrometheusText.render(reversed) == PrometheusText.render(Self.snapshot()))
        let text = PrometheusText.render(Self.snapshot())
        let flaky = text.range(of: "job_id=\"flaky\"")!.lowerBound
        let weekly = text.range(of: "job_id=\"reports/weekly\"")!.lowerBound
        #expect(flaky < weekly)
    }

    @Test func millisecondsAreKept() {
        #expect(PrometheusText.seconds(milliseconds: 1500) == "1.500")
        #expect(PrometheusText.seconds(milliseconds: 7) == "0.007")
        #expect(PrometheusText.seconds(milliseconds: 0) == "0.000")
    }
}

@Suite struct WriteThrottleTests {
    @Test func atMostOnceAnInterval() {
        var throttle = WriteThrottle(intervalNanoseconds: 1_000)
        #expect(throttle.earliestWrite(now: 50) == 50)
        throttle.wrote(at: 100)
        #expect(throttle.earliestWrite(now: 400) == 1_100)
        #expect(throttle.earliestWrite(now: 1_100) == 1_100)
        #expect(throttle.earliestWrite(now: 5_000) == 5_000)
    }
}
