import CLinux
import Definitions
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

/// Waits (bounded) until `count` spares of `directory` have rested long enough to be
/// written into (`SpareFiles.rest`, 250 ms).
func waitUntilRested(_ directory: String, count: Int = 1) -> Bool {
    let deadline = Date().addingTimeInterval(5)
    while SpareFiles.rested(in: directory) < count && Date() < deadline { usleep(5_000) }
    return SpareFiles.rested(in: directory) >= count
}

/// The group commit writes into the inodes of files it replaced (`SpareFiles`), but never
/// into one that a reader still has open, one that has not rested, or one that is not what
/// a new file would be.
@Suite struct SpareFileTests {
    private func write(_ text: String, to path: String) throws {
        try AtomicFile.writeGroup([AtomicFile.Document(path: path, bytes: Array(text.utf8), permissions: 0o600, reusesSpares: true)])
    }

    private func inode(_ path: String) -> ino_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_ino : 0
    }

    /// The one spare of `dir` after a rewrite: the replaced inode, under a temp name.
    private func spare(in dir: TempDirectory) throws -> String {
        let hidden = dir.names().filter { AtomicFile.isTemporaryName($0) }
        try #require(hidden.count == 1, "one spare: \(dir.names())")
        return dir.file(hidden[0])
    }

    @Test func aReplacedFilesInodeTakesTheNextDocument() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try write("one, a longer first version\n", to: dir.file("p.json"))
        let first = inode(dir.file("p.json"))
        try write("two\n", to: dir.file("p.json"))
        #expect(dir.read("p.json") == "two\n")
        #expect(SpareFiles.count(in: dir.path) == 1)
        #expect(inode(try spare(in: dir)) == first, "the replaced inode is kept, not freed")
        try write("soon\n", to: dir.file("r.json"))
        #expect(inode(dir.file("r.json")) != first, "not before it has rested")
        #expect(waitUntilRested(dir.path))
        try write("new\n", to: dir.file("q.json"))
        #expect(inode(dir.file("q.json")) == first, "then written into again")
        #expect(dir.read("q.json") == "new\n", "written over from the start and cut to its length")
        #expect(dir.read("p.json") == "two\n")
        #expect(dir.names() == ["p.json", "q.json", "r.json"])
        var info = stat()
        stat(dir.file("q.json"), &info)
        #expect(info.st_mode & 0o7777 == 0o600)
    }

    @Test func aReaderOfTheOldVersionReadsItWhole() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let old = String(repeating: "old version\n", count: 1000)
        try write(old, to: dir.file("p.json"))
        let reader = open(dir.file("p.json"), O_RDONLY)
        defer { close(reader) }
        try write("two\n", to: dir.file("p.json"))
        #expect(waitUntilRested(dir.path))
        try write("new\n", to: dir.file("q.json"))
        #expect(inode(dir.file("q.json")) != 0)
        var buffer = [UInt8](repeating: 0, count: old.utf8.count + 10)
        let count = pread(reader, &buffer, buffer.count, 0)
        #expect(String(decoding: buffer[0..<max(count, 0)], as: UTF8.self) == old, "an open old version is never written into")
        #expect(dir.read("q.json") == "new\n")
    }

    /// A replaced version with readers in its ACL (a result of a job with readers) is not
    /// kept: readers removed later must not read it under its temp name.
    @Test func aReplacedVersionWithAnACLIsNotKept() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let access = AccessList(readers: StateReaders(users: [65534], groups: []), directory: false)
        func write(_ text: String) throws {
            try AtomicFile.writeGroup([AtomicFile.Document(path: dir.file("r.json"), bytes: Array(text.utf8), permissions: 0o640,
                                                          access: access, reusesSpares: true)])
        }
        try write("one\n")
        guard getxattr(dir.file("r.json"), AccessList.accessAttribute, nil, 0) > 0 else {
            Issue.record("the filesystem of \(dir.path) takes no POSIX ACLs")
            return
        }
        try write("two\n")
        #expect(dir.read("r.json") == "two\n")
        #expect(dir.names() == ["r.json"], "the old version, readable by the readers, is gone")
        #expect(SpareFiles.count(in: dir.path) == 0)
    }

    @Test func aSpareWithAnotherLinkIsNotWrittenInto() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try write("one\n", to: dir.file("p.json"))
        try write("two\n", to: dir.file("p.json"))
        #expect(link(try spare(in: dir), dir.file("kept")) == 0)
        #expect(waitUntilRested(dir.path))
        try write("new\n", to: dir.file("q.json"))
        #expect(dir.read("kept") == "one\n")
        #expect(inode(dir.file("q.json")) != inode(dir.file("kept")))
        #expect(dir.names() == ["kept", "p.json", "q.json"], "the unfit spare is removed")
    }
}

/// A supervisor's outcome file, once its run is recorded, is kept as a spare of its job's
/// records directory, usable only after that directory's next flush.
@Suite struct RetiredOutcomeTests {
    /// A prepared store and the records directory of job `j`, made as the daemon makes it
    /// for a job without readers (0700).
    static func storeWithRecordsDirectory(_ dir: TempDirectory) throws -> (StateStore, String) {
        let store = StateStore(root: dir.path)
        _ = try store.prepare()
        let records = store.layout.executionsDirectory(job: "j")
        #expect(mkdir(records, 0o700) == 0)
        return (store, records)
    }

    @Test func anOutcomeFileTakesANextRecordOnceItsDirectoryIsFlushed() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (store, records) = try Self.storeWithRecordsDirectory(dir)
        let outcome = records + "/20261206T120000.000Z-manual-0001.outcome"
        try AtomicFile.write(Array("{\"outcome\": 1}\n".utf8), to: outcome, permissions: 0o600)
        var info = stat()
        stat(outcome, &info)
        let outcomeInode = info.st_ino

        store.retire(outcome)
        #expect(access(outcome, F_OK) != 0, "the outcome file is gone from view")
        #expect(SpareFiles.count(in: records) == 0, "not a spare before its directory is flushed")
        try store.writeBatch([(path: records + "/a.json", bytes: Array("{\"a\": 1}\n".utf8))])
        stat(records + "/a.json", &info)
        #expect(info.st_ino != outcomeInode)
        #expect(SpareFiles.count(in: records) == 1, "a spare once flushed")
        #expect(waitUntilRested(records))
        try store.writeBatch([(path: records + "/b.json", bytes: Array("{\"b\": 1}\n".utf8))])
        stat(records + "/b.json", &info)
        #expect(info.st_ino == outcomeInode, "the next record is written into it")
        #expect(try String(contentsOfFile: records + "/b.json", encoding: .utf8) == "{\"b\": 1}\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: records).sorted() == ["a.json", "b.json"])
    }

    /// Spares made without the job's readers' ACL are not what a new record would be once
    /// the readers are given: they go, and the next record carries the ACL.
    @Test func givingAJobReadersDropsItsDirectorysSpares() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (store, records) = try Self.storeWithRecordsDirectory(dir)
        try store.writeBatch([(path: records + "/a.json", bytes: Array("{}".utf8))])
        try store.writeBatch([(path: records + "/a.json", bytes: Array("{\"again\": 1}".utf8))])
        #expect(SpareFiles.count(in: records) == 1)
        guard (try? store.grant(StateReaders(users: [65534], groups: []), job: "j")) != nil else {
            Issue.record("the filesystem of \(dir.path) takes no POSIX ACLs")
            return
        }
        #expect(SpareFiles.count(in: records) == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: records) == ["a.json"])
        try store.writeBatch([(path: records + "/b.json", bytes: Array("{}".utf8))])
        #expect(getxattr(records + "/b.json", AccessList.accessAttribute, nil, 0) > 0, "the new record has the readers' ACL")
    }

    @Test func aPrunedRecordTakesALaterRecord() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (store, records) = try Self.storeWithRecordsDirectory(dir)
        let old = try finished(sampleRecord(job: "j", minutes: 0)), kept = try finished(sampleRecord(job: "j", minutes: 1))
        try store.writeBatch([old, kept].map { (path: store.layout.executionFile(job: "j", id: $0.id), bytes: try StateJSON.encode($0, path: "") ) })
        var info = stat()
        stat(store.layout.executionFile(job: "j", id: old.id), &info)
        let prunedInode = info.st_ino
        #expect(try store.pruneHistory(job: "j", retention: HistoryRetention(keep: 1), now: t0) == [old.id])
        #expect(try store.recordIDs(job: "j") == [kept.id])
        try store.writeBatch([(path: records + "/c.json", bytes: Array("{}".utf8))])
        #expect(waitUntilRested(records))
        try store.writeBatch([(path: records + "/d.json", bytes: Array("{}".utf8))])
        stat(records + "/d.json", &info)
        #expect(info.st_ino == prunedInode, "the pruned record's inode is written into once its directory was flushed")
    }

    @Test func otherFilesAreRemoved() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let store = StateStore(root: dir.path)
        _ = try store.prepare()
        let claim = store.layout.root + "/triggers/.claimed-x"
        FileManager.default.createFile(atPath: claim, contents: Data("x".utf8))
        store.retire(claim)
        #expect(access(claim, F_OK) != 0)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: store.layout.root + "/triggers")).contains { AtomicFile.isTemporaryName($0) })
    }
}
