import Foundation
import Glibc
import Scheduling
import Synchronization
import Testing
@testable import StateStore

/// SIGKILLs a writer process at random instants, over and over, while a reader thread
/// opens and parses every version it can: it must never see a partial or empty file.
@Suite(.serialized) struct CrashTests {
    static var fixture: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = String(decoding: buffer[0..<max(n, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(exe[..<exe.lastIndex(of: "/")!]) + "/atomic-writer-fixture"
    }

    final class ReaderStats: Sendable {
        let state = Mutex((reads: 0, failures: [String](), lastAttempt: 0, stop: false))
    }

    enum ReadResult { case success(Int), failure(String) }

    static func readOnce(_ path: String) -> ReadResult {
        let bytes: [UInt8]
        do { bytes = try AtomicFile.read(path) } catch { return .failure("read: \(error)") }
        if bytes.isEmpty { return .failure("empty file") }
        do {
            return .success(try StateJSON.decode(ExecutionRecord.self, from: bytes, path: path).attempt)
        } catch {
            return .failure("partial or invalid (\(bytes.count) bytes): \(String(describing: error).prefix(200))")
        }
    }

    /// `group`: the writer goes through the group commit, which writes into the inodes of
    /// the versions it replaced (`SpareFiles`) while the reader has them open.
    @Test(arguments: [false, true])
    func killedWriterNeverLeavesAPartialFile(group: Bool) async throws {
        try #require(access(Self.fixture, X_OK) == 0, "fixture not built at \(Self.fixture)")
        let dir = TempDirectory()
        defer { dir.remove() }
        let path = dir.file("record.json")
        try AtomicFile.write(StateJSON.encode(sampleRecord(), path: path), to: path)

        let stats = ReaderStats()
        let reader = Thread {
            while !stats.state.withLock({ $0.stop }) {
                let result = Self.readOnce(path)
                stats.state.withLock { s in
                    s.reads += 1
                    switch result {
                    case .success(let attempt): s.lastAttempt = attempt
                    case .failure(let message): s.failures.append(message)
                    }
                }
            }
        }
        reader.start()

        let iterations = 60
        for i in 1...iterations {
            let first = i * 1_000_000
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup(Self.fixture), strdup(path), strdup(String(first))]
                + (group ? [strdup("group")] : []) + [nil]
            defer { argv.forEach { free($0) } }
            try #require(posix_spawn(&pid, Self.fixture, nil, nil, argv, environ) == 0)
            // Kill at a random instant: after a random number (1...8) of completed writes,
            // plus a random sub-millisecond delay, so the kill lands anywhere in a write.
            let target = first + Int.random(in: 1...8)
            let deadline = Date().addingTimeInterval(10)
            while stats.state.withLock({ $0.lastAttempt }) < target && Date() < deadline {
                if case .success(let attempt) = Self.readOnce(path), attempt >= target { break }
            }
            usleep(UInt32.random(in: 0...800))
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            if case .failure(let message) = Self.readOnce(path) { Issue.record("after kill \(i): \(message)") }
        }
        stats.state.withLock { $0.stop = true }
        let (reads, failures) = stats.state.withLock { ($0.reads, $0.failures) }
        #expect(failures.isEmpty, "\(failures.count) bad reads of \(reads), first: \(failures.first ?? "")")
        #expect(reads > iterations)

        // Whatever temp files the kills left are removed at start, and only those.
        let store = StateStore(root: dir.path)
        let removed = try store.removeStrayTemporaries()
        #expect(removed.allSatisfy { AtomicFile.isTemporaryName(String($0.split(separator: "/").last!)) })
        #expect(dir.names() == ["record.json"])
        print("crash test: \(iterations) kills, \(reads) reads, 0 partial, \(removed.count) stray temp files removed at cleanup")
    }
}
