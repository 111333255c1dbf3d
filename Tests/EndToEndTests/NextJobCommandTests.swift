import Foundation
import Testing
import TestSupport

/// `jobdir next JOB`: the job's own zone and triggers.
@Suite struct NextJobCommandTests {
    @Test func printsTheJobsNextTimesInItsZone() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("jobs/nightly.yaml", "command: 'true'\nschedule: '30 2 * * *'\ntimezone: Europe/Berlin\nat: '2026-03-29T05:00:00+02:00'\n")
        let result = try ProcessRunner.jobdir(["next", "nightly", "--jobs", dir.url("jobs"), "--state", dir.url("state"), "-n", "3", "--after", "2026-03-28T12:00:00Z", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let times = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String]
        // 02:30 does not exist on 29 March in Berlin: the slot moves to 03:00 CEST.
        #expect(times == ["2026-03-29T03:00:00+02:00", "2026-03-29T05:00:00+02:00", "2026-03-30T02:30:00+02:00"])
    }

    @Test func unknownJobSuggestsTheClosestID() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("jobs/heartbeat.yaml", "command: 'true'\nevery: 30s\n")
        let result = try ProcessRunner.jobdir(["next", "hertbeat", "--jobs", dir.url("jobs")])
        #expect(result.status == 1)
        #expect(result.stderr == "jobdir next: unknown job `hertbeat`; did you mean `heartbeat`? (`jobdir list` shows every job)\n")
    }
}
