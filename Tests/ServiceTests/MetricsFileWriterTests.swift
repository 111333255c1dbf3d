import Foundation
import Scheduling
import Service
import Testing
import TestSupport

@Suite(.serialized) struct MetricsFileWriterTests {
    static func result(_ job: String, failures: Int) -> JobResult {
        var result = JobResult(job: job, file: job + ".yaml", updatedAt: Date())
        result.loaded = true
        result.consecutiveFailures = failures
        return result
    }

    static func samples(_ path: String) -> PrometheusSamples? {
        (try? String(contentsOfFile: path, encoding: .utf8)).map(PrometheusSamples.init)
    }

    /// A field of `/proc/self/task/*/status` for this process's thread named `name`.
    static func thread(_ name: String, field: String) -> String? {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return nil }
        for task in tasks {
            guard let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                  comm.trimmingCharacters(in: .whitespacesAndNewlines) == name,
                  let status = try? String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { continue }
            return line.dropFirst(field.count).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// Voluntary context switches of this process's thread named `name`: each wakeup of
    /// a sleeping thread is one.
    static func wakeups(ofThread name: String) -> Int? {
        thread(name, field: "voluntary_ctxt_switches:").flatMap { Int($0) }
    }

    @Test func writesAtStartThenEachChangeAndSaysDownAtTheEnd() async throws {
        let dir = try TemporaryDirectory("jobdir-metrics")
        defer { dir.remove() }
        let path = dir.url("jobdir.prom")
        let writer = MetricsFileWriter(path: path, startedAt: Date(), version: "0.1.0", commit: "abc", initial: [Self.result("a", failures: 1)],
                                       intervalNanoseconds: 100_000_000, onError: { Issue.record("write failed: \($0)") })
        #expect(await waitUntil { Self.samples(path)?.value("jobdir_job_consecutive_failures", ["job_id": "a"]) == 1 })
        writer.update(Self.result("a", failures: 2))
        writer.update(Self.result("b", failures: 5))
        #expect(await waitUntil {
            Self.samples(path)?.value("jobdir_job_consecutive_failures", ["job_id": "a"]) == 2
                && Self.samples(path)?.value("jobdir_job_consecutive_failures", ["job_id": "b"]) == 5
        })
        #expect(Self.samples(path)?.value("jobdir_up") == 1)
        writer.finish()
        let final = try #require(Self.samples(path))
        #expect(final.value("jobdir_up") == 0)
        #expect(final.value("jobdir_job_consecutive_failures", ["job_id": "b"]) == 5)
        // No temp file is left beside it for the collector to trip over.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["jobdir.prom"])
    }

    @Test func aBurstOfChangesIsWrittenAtMostOnceAnInterval() async throws {
        let dir = try TemporaryDirectory("jobdir-metrics")
        defer { dir.remove() }
        let path = dir.url("jobdir.prom")
        let writer = MetricsFileWriter(path: path, startedAt: Date(), version: "0.1.0", commit: "abc", initial: [],
                                       intervalNanoseconds: 300_000_000, onError: { Issue.record("write failed: \($0)") })
        defer { writer.finish() }
        #expect(await waitUntil { Self.samples(path) != nil })
        // Each write shows the count of the latest change; count the distinct counts seen
        // in the file while changing it 400 times, 5 ms or more apart (a lower bound of
        // the writes).
        var seen: Set<Double> = []
        let clock = ContinuousClock()
        let start = clock.now
        var failures = 0
        while failures < 400 {
            failures += 1
            writer.update(Self.result("busy", failures: failures))
            seen.insert(Self.samples(path)?.value("jobdir_job_consecutive_failures", ["job_id": "busy"]) ?? -1)
            try await Task.sleep(for: .milliseconds(5))
        }
        let elapsed = clock.now - start
        // One write per 300 ms at most (and the initial one); and changes that never stop do
        // not hold the writes back.
        let allowed = Int(elapsed / .milliseconds(300)) + 2
        #expect(seen.count <= allowed, "\(seen.count) writes seen in \(elapsed)")
        #expect(seen.count >= 2, "\(seen.sorted()) in \(elapsed)")
        let last = failures
        #expect(await waitUntil { Self.samples(path)?.value("jobdir_job_consecutive_failures", ["job_id": "busy"]) == Double(last) })
    }

    @Test func idleMeansNoWakeups() async throws {
        let dir = try TemporaryDirectory("jobdir-metrics")
        defer { dir.remove() }
        let path = dir.url("jobdir.prom")
        let writer = MetricsFileWriter(path: path, startedAt: Date(), version: "0.1.0", commit: "abc", initial: [],
                                       intervalNanoseconds: 50_000_000, onError: { Issue.record("write failed: \($0)") })
        defer { writer.finish() }
        writer.update(Self.result("a", failures: 1))
        #expect(await waitUntil { Self.samples(path)?.value("jobdir_job_consecutive_failures", ["job_id": "a"]) == 1 })
        // Once it is back asleep after the write, watch it sleep: the idle period is what is tested.
        #expect(await waitUntil { Self.thread("jobdir-metrics", field: "State:")?.hasPrefix("S") == true })
        let before = try #require(Self.wakeups(ofThread: "jobdir-metrics"))
        try await Task.sleep(for: .milliseconds(1500))
        #expect(Self.wakeups(ofThread: "jobdir-metrics") == before)
    }
}
