import Foundation
import Glibc
import Synchronization
import Testing
@testable import StateStore

@Suite(.serialized) struct AtomicFileTests {
    @Test func replacesTheFileAndLeavesNoTemp() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let path = dir.file("a.json")
        try AtomicFile.write(Array("one\n".utf8), to: path)
        try AtomicFile.write(Array("two\n".utf8), to: path)
        #expect(dir.read("a.json") == "two\n")
        #expect(dir.names() == ["a.json"])
        var st = stat()
        stat(path, &st)
        #expect(st.st_mode & 0o777 == 0o644)
    }

    @Test func temporaryNamesAreRecognisablyOurs() {
        let name = AtomicFile.temporaryName(for: "20261123T013000.000Z-cron-7f3a.json")
        #expect(name.hasPrefix(".20261123T013000.000Z-cron-7f3a.json.tmp.\(getpid())."))
        #expect(AtomicFile.isTemporaryName(name))
        for other in ["a.json", ".gitignore", ".a.tmp", ".a.tmp.12.zzzzzzzz", ".a.tmp.x.0123abcd", "a.tmp.1.0123abcd", "..tmp.1.0123abcd"] {
            #expect(!AtomicFile.isTemporaryName(other), "\(other)")
        }
        #expect(AtomicFile.isTemporaryName(".daemon.json.tmp.1.0123abcd"))
    }

    @Test func missingDirectoryIsATypedError() {
        let dir = TempDirectory()
        defer { dir.remove() }
        let path = dir.file("missing/a.json")
        #expect(throws: StateStoreError(code: .system, path: path, errno: ENOENT, message: "open: No such file or directory (errno 2)")) {
            try AtomicFile.write([1], to: path)
        }
    }

    @Test func targetThatIsADirectoryKeepsItAndLeavesNoTemp() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        mkdir(dir.file("taken"), 0o700)
        do {
            try AtomicFile.write([1], to: dir.file("taken"))
            Issue.record("expected an error")
        } catch {
            #expect(error.errno == EISDIR)
            #expect(error.path == dir.file("taken"))
        }
        #expect(dir.names() == ["taken"])
    }

    @Test(.enabled(if: getuid() != 0, "root bypasses directory permissions; EROFS and ENOSPC are tested instead"))
    func readOnlyDirectoryIsEACCES() throws {
        let dir = TempDirectory()
        defer { chmod(dir.path, 0o700); dir.remove() }
        try AtomicFile.write(Array("v1".utf8), to: dir.file("a.json"))
        chmod(dir.path, 0o500)
        #expect(throws: StateStoreError.self) { try AtomicFile.write(Array("v2".utf8), to: dir.file("a.json")) }
        do { try AtomicFile.write(Array("v2".utf8), to: dir.file("a.json")) } catch { #expect(error.errno == EACCES) }
        #expect(dir.read("a.json") == "v1")
    }

    @Test(.enabled(if: getuid() == 0, "needs root to mount a tmpfs"))
    func fullDiskIsENOSPCAndKeepsThePreviousVersion() throws {
        let dir = TempDirectory()
        defer { umount2(dir.path, Int32(MNT_DETACH)); dir.remove() }
        try #require(mount("tmpfs", dir.path, "tmpfs", 0, "size=64k") == 0, "mount: \(String(cString: strerror(errno)))")
        let path = dir.file("a.json")
        try AtomicFile.write(Array(repeating: UInt8(ascii: "a"), count: 1000), to: path)
        do {
            try AtomicFile.write(Array(repeating: UInt8(ascii: "b"), count: 200_000), to: path)
            Issue.record("expected ENOSPC")
        } catch {
            #expect(error.errno == ENOSPC)
            #expect(error.path == path)
            #expect(error.description.contains("No space left on device"))
        }
        #expect(dir.read("a.json") == String(repeating: "a", count: 1000))
        #expect(dir.names() == ["a.json"])
    }

    @Test(.enabled(if: getuid() == 0, "needs root to mount a tmpfs"))
    func readOnlyFileSystemIsEROFSAndKeepsThePreviousVersion() throws {
        let dir = TempDirectory()
        defer { umount2(dir.path, Int32(MNT_DETACH)); dir.remove() }
        try #require(mount("tmpfs", dir.path, "tmpfs", 0, "size=64k") == 0)
        let path = dir.file("a.json")
        try AtomicFile.write(Array("v1".utf8), to: path)
        try #require(mount("tmpfs", dir.path, "tmpfs", UInt(MS_REMOUNT | MS_RDONLY), "size=64k") == 0)
        do {
            try AtomicFile.write(Array("v2".utf8), to: path)
            Issue.record("expected EROFS")
        } catch {
            #expect(error.errno == EROFS)
            #expect(error.path == path)
        }
        #expect(dir.read("a.json") == "v1")
    }
}

/// The group commit: many documents flushed side by side, all or none renamed.
@Suite struct GroupCommitWriteTests {
    @Test func aGroupOfManyDocumentsIsWrittenWholeAcrossChunks() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        mkdir(dir.file("a"), 0o700)
        mkdir(dir.file("b"), 0o700)
        let count = AtomicFile.descriptorsPerChunk * 2 + 7
        let documents = (0..<count).map { AtomicFile.Document(path: dir.file("\($0 % 2 == 0 ? "a" : "b")/\($0).json"), bytes: Array("doc \($0)\n".utf8)) }
        try AtomicFile.writeGroup(documents, alsoFlush: [dir.path])
        for index in 0..<count {
            #expect(dir.read("\(index % 2 == 0 ? "a" : "b")/\(index).json") == "doc \(index)\n")
        }
        #expect(dir.names("a").count + dir.names("b").count == count, "no temp file is left")
    }

    @Test func aGroupWithADocumentThatCannotBeWrittenRenamesNone() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try AtomicFile.write(Array("old\n".utf8), to: dir.file("kept.json"))
        let documents = [AtomicFile.Document(path: dir.file("kept.json"), bytes: Array("new\n".utf8))]
            + (0..<200).map { AtomicFile.Document(path: dir.file("n\($0).json"), bytes: [1]) }
            + [AtomicFile.Document(path: dir.file("missing/x.json"), bytes: [1])]
        #expect(throws: StateStoreError.self) { try AtomicFile.writeGroup(documents) }
        #expect(dir.read("kept.json") == "old\n")
        #expect(dir.names() == ["kept.json"], "no document of the group and no temp file is left")
    }
}

/// The threads that flush a group commit's files side by side.
@Suite struct FlushPoolTests {
    @Test func everyItemRunsExactlyOnceInEveryRound() {
        let pool = FlushPool(threads: 3)
        for round in 0..<200 {
            let count = round % 37
            let calls = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
            calls.initialize(repeating: 0)
            defer { calls.deallocate() }
            let lock = NSLock()
            pool.forEach(count) { index in lock.withLock { calls[index] += 1 } }
            #expect((0..<count).allSatisfy { calls[$0] == 1 }, "round \(round)")
        }
    }

    /// What runs alongside (the daemon's gated supervisor spawns) overlaps the items
    /// (the flushes of the records they wait for), even a single one.
    @Test func workAlongsideOverlapsTheItems() {
        let pool = FlushPool(threads: 2)
        let lock = NSLock()
        nonisolated(unsafe) var itemStarted = false, alongsideStarted = false
        nonisolated(unsafe) var alongsideSawItem = false, itemSawAlongside = false, callerThread = false
        let caller = pthread_self()
        /// Waits (bounded) for `flag`: only work running side by side sees the other's.
        func waitFor(_ flag: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(10)
            while !lock.withLock(flag) && Date() < deadline { sched_yield() }
            return lock.withLock(flag)
        }
        pool.forEach(1, alongside: {
            callerThread = pthread_equal(pthread_self(), caller) != 0
            lock.withLock { alongsideStarted = true }
            alongsideSawItem = waitFor { itemStarted }
        }) { _ in
            lock.withLock { itemStarted = true }
            itemSawAlongside = waitFor { alongsideStarted }
        }
        #expect(callerThread && alongsideSawItem && itemSawAlongside)
    }

    @Test func itemsRunSideBySide() {
        let pool = FlushPool(threads: 3)
        let lock = NSLock()
        nonisolated(unsafe) var inFlight = 0, mostInFlight = 0
        pool.forEach(4) { _ in
            lock.withLock { inFlight += 1; mostInFlight = max(mostInFlight, inFlight) }
            // Each item waits (bounded) until two are in flight: only threads side by side get there.
            let deadline = Date().addingTimeInterval(10)
            while lock.withLock({ mostInFlight }) < 2 && Date() < deadline { sched_yield() }
            lock.withLock { inFlight -= 1 }
        }
        #expect(mostInFlight >= 2)
    }
}
