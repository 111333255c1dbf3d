import Foundation
import Glibc
import Testing
@testable import Execution

@Suite struct OutputCaptureTests {
    /// What the log must hold after `output` was written under bound `max`.
    static func expectedLog(_ output: [UInt8], max: Int) -> [UInt8] {
        guard output.count > max else { return output }
        let head = max / 2, tail = max - head
        let marker = "\n[jobdir: output truncated: \(output.count - max) bytes omitted of \(output.count)]\n"
        return Array(output[0..<head]) + Array(marker.utf8) + Array(output[(output.count - tail)...])
    }

    @Test(arguments: [2, 3, 10, 100, 4097, 65_536])
    func matchesTheModelForRandomChunkings(_ max: Int) throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var generator = SystemRandomNumberGenerator()
        for round in 0..<30 {
            let total = Int.random(in: 0...(max * 3 + 10), using: &generator)
            let output = (0..<total).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ round) }
            let path = dir.file("log\(round)")
            let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            try #require(fd >= 0)
            let capture = OutputCapture(fd: fd, maxBytes: max)
            var offset = 0
            while offset < total {
                let n = min(total - offset, Int.random(in: 1...(max + 5), using: &generator))
                output[offset..<(offset + n)].withUnsafeBytes { capture.append($0) }
                offset += n
            }
            let summary = capture.finish()
            close(fd)
            let log = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(log == Self.expectedLog(output, max: max), "max \(max), total \(total)")
            #expect(summary.bytes == Int64(total))
            #expect(summary.truncated == (total > max))
            #expect(summary.logError == nil)
        }
    }
}
