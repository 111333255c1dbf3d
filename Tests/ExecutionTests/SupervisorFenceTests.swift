import Foundation
import Glibc
import Testing
@testable import Execution

/// `--fence-file`: the supervisor stops its run once the fleet lease's deadline in the file
/// has passed, and only then; a deadline moved on keeps the run going; a deadline already
/// past (or no file) starts nothing.
@Suite(.serialized) struct SupervisorFenceTests {
    static func monotonicNow() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    func writeDeadline(_ path: String, in milliseconds: UInt64) throws {
        try Data("\(Self.monotonicNow() + milliseconds * 1_000_000)\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    @Test func aDeadlineThatIsNotMovedOnStopsTheRun() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let fence = dir.path + "/lease.deadline"
        try writeDeadline(fence, in: 400)
        var request = shell("trap '' TERM; sleep 30", in: dir, id: "f", grace: .seconds(20))
        request.fenceFile = fence
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        #expect(outcome.stoppedBy == .cancel)
        #expect(outcome.signal == SIGKILL, "TERM is ignored: SIGKILL 500 ms later, not after the 20 s grace")
        #expect(outcome.durationMilliseconds >= 400)
        #expect(outcome.durationMilliseconds < 3000)
    }

    @Test func aDeadlineMovedOnKeepsTheRunGoing() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let fence = dir.path + "/lease.deadline"
        try writeDeadline(fence, in: 300)
        var request = shell("sleep 1.2; echo done", in: dir, id: "m")
        request.fenceFile = fence
        let harness = SupervisorHarness(dir: dir)
        let launched = try harness.launch(request)
        // Renewals every 200 ms move the deadline 300 ms ahead, as the daemon does after each acknowledgement.
        let clock = ContinuousClock(), end = clock.now.advanced(by: .seconds(2))
        while clock.now < end && dir.read("m.log").isEmpty {
            try writeDeadline(fence, in: 300)
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(try harness.finish(launched) == 0)
        let outcome = try SupervisorOutcome.read(harness.outcomePath("m"))
        #expect(outcome.stoppedBy == nil)
        #expect(outcome.exitCode == 0)
        #expect(dir.read("m.log") == "done\n")
    }

    @Test func aDeadlinePastBeforeTheStartStartsNothing() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let fence = dir.path + "/lease.deadline"
        try Data("\(Self.monotonicNow() - 1_000_000)\n".utf8).write(to: URL(fileURLWithPath: fence), options: .atomic)
        var request = shell("touch ran", in: dir, id: "p")
        request.fenceFile = fence
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        #expect(outcome.stoppedBy == .cancel)
        #expect(outcome.error?.kind == "canceled", "\(String(describing: outcome.error))")
        #expect(outcome.pid == nil)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/ran"), "the command never ran")
    }

    @Test func aMissingFenceFileStopsTheRunAtOnce() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var request = shell("sleep 30", in: dir, id: "x")
        request.fenceFile = dir.path + "/gone.deadline"
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        #expect(outcome.stoppedBy == .cancel)
        #expect(outcome.durationMilliseconds < 2000)
    }
}
