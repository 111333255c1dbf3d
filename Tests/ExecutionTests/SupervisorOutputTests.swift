import Foundation
import Glibc
import Testing
import TestSupport
@testable import Execution

/// The log and tail the supervisor writes are those of the in-process capture
/// (`OutputCapture`) for the same bytes.
@Suite(.serialized) struct SupervisorOutputTests {
    /// The summary `OutputCapture` gives for `bytes` under `max` (fed in one piece; its
    /// log is the model `OutputCaptureTests.expectedLog` whatever the chunking).
    static func captured(_ bytes: [UInt8], max: Int, in dir: TempDirectory) throws -> CapturedOutput {
        let fd = open(dir.file("model.log"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        let capture = OutputCapture(fd: fd, maxBytes: max)
        bytes.withUnsafeBytes { capture.append($0) }
        return capture.finish()
    }

    @Test(arguments: [(0, 100), (99, 100), (100, 100), (101, 100), (150, 100), (5000, 100), (10_000, 4097), (300_000, 65_536), (70_000, 1 << 20)])
    func theLogAndTailMatchTheInProcessCapture(_ count: Int, _ max: Int) throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        let printed = randomBytes(count)
        try harness.writeBytes("input", printed)
        // Several writes of odd sizes, so the bound is crossed in the middle of one.
        let script = "dd if=input bs=777 status=none; true"
        let (_, outcome) = try harness.run(shell(script, in: dir, id: "o", maxBytes: max))
        #expect(harness.bytes("o.log") == OutputCaptureTests.expectedLog(printed, max: max))
        let model = try Self.captured(printed, max: max, in: dir)
        #expect(outcome.output.bytes == Int64(count))
        #expect(outcome.output.truncated == model.truncated)
        #expect(outcome.output.tail == model.tail)
        #expect(outcome.output.logError == nil)
    }

    /// Text cut anywhere and invalid UTF-8: the tail decodes as Swift decodes it.
    @Test func theTailDecodesBrokenUTF8AsSwiftDoes() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        let pieces: [[UInt8]] = [Array("é".utf8), Array("€".utf8), Array("😀".utf8), [0xC0], [0xE0, 0x80], [0xED, 0xA0, 0x80],
                                 [0xF4, 0x90], [0xFF], [0x80], [0xF0, 0x9F], [0x00], [0x1F], Array("\"\\\n\t".utf8), [0x7F]]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<25 {
            var printed: [UInt8] = []
            while printed.count < 4200 { printed += pieces.randomElement(using: &generator)! }
            printed = Array(printed.dropFirst(Int.random(in: 0...3, using: &generator)))
            try harness.writeBytes("input", printed)
            let (_, outcome) = try harness.run(shell("cat input", in: dir, id: "u\(round)"))
            #expect(outcome.output.tail == OutputCapture.decodeTail(Array(printed.suffix(OutputCapture.tailSize))), "round \(round)")
            #expect(harness.bytes("u\(round).log") == printed)
        }
    }

    /// Compared with `cmp` on files, so this process's memory stays small (the RSS that
    /// children spawned from it inherit is asserted elsewhere).
    @Test func twentyMegabytesInThreeSecondsAreLoggedWithTheBound() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        let total = 20 << 20, bound = 10 << 20
        let sh = "/bin/sh"
        #expect(try ProcessRunner.run(sh, ["-c", "head -c \(total) /dev/urandom > '\(dir.file("input"))'"]).status == 0)
        let script = "for i in $(seq 0 19); do dd if=input bs=1M skip=$i count=1 status=none; sleep 0.15; done"
        let start = ContinuousClock.now
        let (_, bounded) = try harness.run(shell(script, in: dir, id: "big", maxBytes: bound))
        let elapsed = ContinuousClock.now - start
        let expected = """
            cd '\(dir.path)' && { head -c \(bound / 2) input; \
            printf '\\n[jobdir: output truncated: %d bytes omitted of %d]\\n' \(total - bound) \(total); \
            tail -c \(bound / 2) input; } > expected && cmp expected big.log
            """
        let compared = try ProcessRunner.run(sh, ["-c", expected])
        #expect(compared.status == 0, "\(compared.stderr)")
        #expect(bounded.output.bytes == Int64(total) && bounded.output.truncated)
        #expect(bounded.exitCode == 0)
        // The command itself takes 3 s; the supervisor keeps up with it.
        #expect(elapsed < .seconds(6), "took \(elapsed)")
        // Under a bound larger than the output, the log is the output itself.
        let (_, whole) = try harness.run(shell(script, in: dir, id: "whole", maxBytes: 32 << 20))
        #expect(try ProcessRunner.run(sh, ["-c", "cmp '\(dir.file("input"))' '\(dir.file("whole.log"))'"]).status == 0)
        #expect(!whole.output.truncated && whole.output.bytes == Int64(total))
    }
}
