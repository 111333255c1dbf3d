import CLinux
import Foundation
import Glibc
import Definitions
import Scheduling
import Testing
@testable import StateStore

@Suite(.serialized) struct StateStoreTests {
    @Test func layoutFollowsTheSpec() {
        let layout = StateLayout(root: "/var/lib/jobdir/state/")
        let id = ExecutionID(rawValue: "20261123T013000.000Z-cron-7f3a")!
        #expect(layout.daemonFile == "/var/lib/jobdir/state/daemon.json")
        #expect(layout.lockFile == "/var/lib/jobdir/state/jobdir.lock")
        #expect(layout.resultFile(job: "reports/weekly") == "/var/lib/jobdir/state/results/reports/weekly.json")
        #expect(layout.executionFile(job: "reports/weekly", id: id) ==
                "/var/lib/jobdir/state/executions/reports/weekly/20261123T013000.000Z-cron-7f3a.json")
        #expect(layout.logRelativePath(job: "reports/weekly", id: id) == "logs/reports/weekly/20261123T013000.000Z-cron-7f3a.log")
        #expect(layout.approvalFile(id: id) == "/var/lib/jobdir/state/approvals/20261123T013000.000Z-cron-7f3a.json")
        #expect(layout.approveMarker(id: id).hasSuffix("approvals/20261123T013000.000Z-cron-7f3a.approve"))
        #expect(layout.rejectMarker(id: id).hasSuffix("approvals/20261123T013000.000Z-cron-7f3a.reject"))
        #expect(layout.triggerFile(job: "reports/weekly") == "/var/lib/jobdir/state/triggers/reports/weekly")
        #expect(layout.cancelFile(id: id) == "/var/lib/jobdir/state/cancel/20261123T013000.000Z-cron-7f3a")
        #expect(StateLayout.isSafeJobID("reports/weekly"))
        for bad in ["", "../x", "a/../b", "/abs", "a//b", "a/", ".hidden"] { #expect(!StateLayout.isSafeJobID(bad), "\(bad)") }
    }

    @Test func prepareCreatesThePrivateLayoutWithDropBoxes() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let root = dir.file("state")
        // As an earlier version left it: a closed directory of 0644 files.
        try FileManager.default.createDirectory(atPath: root + "/results", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        FileManager.default.createFile(atPath: root + "/results/old.json", contents: Data("{}".utf8), attributes: [.posixPermissions: 0o644])
        try StateStore(root: root).prepare()
        var st = stat()
        stat(root, &st)
        #expect(st.st_mode & 0o7777 == 0o711, "others may only pass through to the drop boxes")
        for box in ["triggers", "cancel"] {
            stat(root + "/" + box, &st)
            #expect(st.st_mode & 0o7777 == 0o1733, "\(box): sticky, writable, not listable by others")
        }
        stat(root + "/approvals", &st)
        #expect(st.st_mode & 0o7777 == 0o1777, "approvals: sticky, and approvers list the requests they may read")
        for listed in ["executions", "logs", "results"] {
            stat(root + "/" + listed, &st)
            #expect(st.st_mode & 0o7777 == 0o755, "\(listed): a job's readers find their way to it")
        }
        stat(root + "/results/old.json", &st)
        #expect(st.st_mode & 0o7777 == 0o600, "a result written before the directory opened is closed first")
        #expect(dir.names("state") == ["approvals", "cancel", "executions", "logs", "results", "triggers"])
    }

    @Test func grantGivesAJobsReadersItsDirectoriesFilesAndResultAndTakesThemBack() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let store = StateStore(root: dir.path)
        try store.prepare()
        try store.write(sampleRecord(job: "reports/weekly"))
        try store.writeBatch([(path: store.layout.resultFile(job: "reports/weekly"), bytes: Array("{}".utf8))])
        let readers = StateReaders(users: [65534], groups: [65534])
        guard (try? store.grant(readers, job: "reports/weekly")) != nil else {
            Issue.record("the filesystem of \(dir.path) takes no POSIX ACLs")
            return
        }
        let directory = AccessList(readers: readers, directory: true).bytes, file = AccessList(readers: readers, directory: false).bytes
        func attribute(_ path: String, _ name: String) -> [UInt8]? {
            var value = [UInt8](repeating: 0, count: 256)
            let count = getxattr(path, name, &value, value.count)
            return count < 0 ? nil : Array(value[0..<count])
        }
        let records = store.layout.executionsDirectory(job: "reports/weekly")
        for path in [records, store.layout.logsDirectory(job: "reports/weekly")] {
            #expect(attribute(path, "system.posix_acl_default") == directory, "\(path): what its new files inherit")
            #expect(attribute(path, "system.posix_acl_access") == directory)
        }
        let record = try #require(try FileManager.default.contentsOfDirectory(atPath: records).first { $0.hasSuffix(".json") })
        #expect(attribute(records + "/" + record, "system.posix_acl_access") == file, "a record already there")
        #expect(attribute(store.layout.resultFile(job: "reports/weekly"), "system.posix_acl_access") == file)
        var st = stat()
        stat(dir.path + "/executions/reports", &st)
        #expect(st.st_mode & 0o001 != 0, "readers pass through the directory above")
        #expect(try store.grant(readers, job: "reports/weekly") == false, "the same list again changes nothing")

        // Taken back during a full load, whose listing of the state directories answers
        // for what is not there: it does not hide what is.
        #expect(try store.grant(.nobody, job: "reports/weekly", listing: StateListing()))
        #expect(attribute(records, "system.posix_acl_default") == nil)
        #expect(attribute(records + "/" + record, "system.posix_acl_access") == nil)
        #expect(attribute(store.layout.resultFile(job: "reports/weekly"), "system.posix_acl_access") == nil)
        stat(records, &st)
        #expect(st.st_mode & 0o7777 == 0o700)
    }

    @Test func aListingSaysWhatIsNotThereAndNothingElse() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let store = StateStore(root: dir.path)
        try store.prepare()
        try store.write(sampleRecord(job: "team/a"))
        let listing = StateListing()
        #expect(listing.mayExist(store.layout.executionsDirectory(job: "team/a")))
        #expect(!listing.mayExist(store.layout.executionsDirectory(job: "team/b")), "a name its directory does not hold")
        #expect(!listing.mayExist(store.layout.executionsDirectory(job: "other/a")), "below a directory that is not there")
        #expect(!listing.mayExist(store.layout.resultFile(job: "team/a")), "no result written yet")
        #expect(listing.mayExist(store.layout.root + "/executions"))
        let file = store.layout.root + "/plain"
        try AtomicFile.write(Array("x".utf8), to: file)
        #expect(!listing.mayExist(file + "/below"), "below a file")
    }

    @Test func aJobsFilesStayItsOwnWhenOthersPassThroughItsDirectoryToAJobBelow() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let store = StateStore(root: dir.path)
        try store.prepare()
        try store.write(sampleRecord(job: "x"))
        let records = store.layout.executionsDirectory(job: "x")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: records).first { $0.hasSuffix(".json") })
        func mode(_ path: String) -> mode_t {
            var st = stat()
            stat(path, &st)
            return st.st_mode & 0o7777
        }
        #expect(mode(records + "/" + name) == 0o600, "a job without readers has its records to the daemon's user")
        // One made 0644 by an earlier version, in a directory others may now pass through.
        let old = records + "/" + String(name.dropLast(5)) + "a.json"
        #expect(FileManager.default.createFile(atPath: old, contents: Data("{}".utf8)) && chmod(old, 0o644) == 0)
        guard (try? store.grant(StateReaders(users: [65534], groups: []), job: "x/y")) != nil else {
            Issue.record("the filesystem of \(dir.path) takes no POSIX ACLs")
            return
        }
        #expect(mode(records) == 0o701, "others pass through x to x/y")
        #expect(mode(old) == 0o600, "but read none of x's files")
        try store.write(sampleRecord(job: "x", minutes: 1))
        for file in try FileManager.default.contentsOfDirectory(atPath: records) where file.hasSuffix(".json") {
            #expect(mode(records + "/" + file) == 0o600, "\(file)")
        }
        // A record of a job with readers is 0640: its group bits are its ACL's mask.
        try store.write(sampleRecord(job: "x/y"))
        let below = store.layout.executionsDirectory(job: "x/y")
        for file in try FileManager.default.contentsOfDirectory(atPath: below) where file.hasSuffix(".json") {
            #expect(mode(below + "/" + file) == 0o640, "\(file)")
        }
        chmod(old, 0o644)
        try store.prepare()
        #expect(mode(old) == 0o600, "and at start")
    }

    @Test func aJobBelowAnotherTakesNoneOfItsReadersWhenItsDirectoriesAreMadeLater() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let store = StateStore(root: dir.path)
        try store.prepare()
        guard (try? store.grant(StateReaders(users: [65534], groups: []), job: "x")) != nil else {
            Issue.record("the filesystem of \(dir.path) takes no POSIX ACLs")
            return
        }
        #expect(try store.grant(.nobody, job: "x/y") == false, "nothing to take away")
        let records = store.layout.executionsDirectory(job: "x/y"), logs = store.layout.logsDirectory(job: "x/y")
        #expect(access(records, F_OK) != 0, "a job without readers has its directories made at its first run")
        try store.write(sampleRecord(job: "x/y"))
        _ = try store.prepareLog(job: "x/y", id: sampleRecord(job: "x/y").id)
        for directory in [records, logs] {
            #expect(getxattr(directory, "system.posix_acl_default", nil, 0) < 0 && errno == ENODATA, "\(directory): x's list not inherited")
            #expect(getxattr(directory, "system.posix_acl_access", nil, 0) < 0 && errno == ENODATA)
            var st = stat()
            stat(directory, &st)
            #expect(st.st_mode & 0o7777 == 0o700)
        }
        let record = try #require(try FileManager.default.contentsOfDirectory(atPath: records).first { $0.hasSuffix(".json") })
        var st = stat()
        stat(records + "/" + record, &st)
        #expect(st.st_mode & 0o7777 == 0o600, "only the daemon's user reads x/y's records")
        #expect(getxattr(records + "/" + record, "system.posix_acl_access", nil, 0) < 0)
    }

    @Test func anAccessListIsTheKernelsFormatSortedByTagAndID() {
        let bytes = AccessList(readers: StateReaders(users: [1001, 7], groups: [50]), directory: false).bytes
        // Header (version 2), then tag/permissions/id triples: owner rw, users 7 and 1001 r,
        // owning group none, group 50 r, mask r, others none.
        func little(_ offset: Int, _ count: Int) -> UInt32 {
            (0..<count).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
        }
        let offsets = Array(stride(from: 4, to: bytes.count, by: 8))
        let tags = offsets.map { little($0, 2) }, permissions = offsets.map { little($0 + 2, 2) }, ids = offsets.map { little($0 + 4, 4) }
        #expect(Array(bytes[0..<4]) == [2, 0, 0, 0])
        #expect(tags == [0x01, 0x02, 0x02, 0x04, 0x08, 0x10, 0x20])
        #expect(permissions == [6, 4, 4, 0, 4, 4, 0])
        #expect(ids == [.max, 7, 1001, .max, 50, .max, .max])
    }

    @Test func writesRecordsAsSortedPrettyJSONWithNulls() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let store = StateStore(root: dir.path)
        try store.prepare()
        let record = sampleRecord()
        try store.write(record)
        let text = dir.read("executions/reports/weekly/20261123T013000.000Z-cron-7f3a.json")
        #expect(text.hasSuffix("}\n"))
        #expect(text.contains(#""retry_of" : null"#))
        #expect(text.contains(#""approval" : null"#))
        #expect(text.contains(#""created_at" : "2026-11-23T01:30:00.000Z""#))
        #expect(text.contains(#""schema" : "jobdir.execution/v1""#))
        #expect(text.contains(#""command" : ["#), "slashes unescaped and pretty-printed")
        #expect(text.contains(#""/bin/sh""#))
        let topKeys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.dropFirst(3).prefix { $0 != "\"" } }
        #expect(topKeys.count == 26)
        #expect(topKeys == topKeys.sorted())
        #expect(try store.record(job: "reports/weekly", id: record.id) == record)
        #expect(try store.record(job: "reports/weekly", id: ExecutionID(rawValue: "20001123T013000.000Z-cron-0000")!) == nil)
    }

    @Test func readsRecordsBackSortedAndIgnoresOtherFiles() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let store = StateStore(root: dir.path)
        let records = [5, 1, 3, 2].map { sampleRecord(job: "a", minutes: $0) } + [sampleRecord(job: "a/b", minutes: 0)]
        for r in records { try store.write(r) }
        _ = FileManager.default.createFile(atPath: dir.file("executions/a/notes.txt"), contents: Data("x".utf8))
        _ = FileManager.default.createFile(atPath: dir.file("executions/a/.x.json.tmp.1.0123abcd"), contents: Data())
        let read = try store.executions(job: "a")
        #expect(read.map(\.id) == records.filter { $0.job == "a" }.map(\.id).sorted())
        #expect(try store.executions(job: "a/b").count == 1)
        #expect(try store.executions(job: "never-ran").isEmpty)
        #expect(throws: StateStoreError.self) { try store.executions(job: "../etc") }
    }

    @Test func removesOnlyStrayTemporaries() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let store = StateStore(root: dir.file("state"))
        try store.prepare()
        try store.write(sampleRecord())
        let stray = [dir.file("state/.daemon.json.tmp.4242.0123abcd"),
                     dir.file("state/executions/reports/weekly/.20261123T013000.000Z-cron-7f3a.json.tmp.17.deadbeef")]
        let kept = [dir.file("state/.gitignore"), dir.file("state/triggers/job.tmp")]
        for path in stray + kept { _ = FileManager.default.createFile(atPath: path, contents: Data("x".utf8)) }
        #expect(try store.prepare() == stray.sorted())
        for path in stray { #expect(!FileManager.default.fileExists(atPath: path)) }
        for path in kept { #expect(FileManager.default.fileExists(atPath: path)) }
        #expect(try store.executions(job: "reports/weekly").count == 1)
    }

    @Test func retentionKeepsTheNewestAndNeverANonTerminalRecord() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let store = StateStore(root: dir.path)
        try store.prepare()
        // Six records, oldest first; the oldest is still running, the third is queued.
        var records = try (0..<6).map { try finished(sampleRecord(job: "j", minutes: $0)) }
        records[0] = try transition(sampleRecord(job: "j", minutes: 0), .start, at: t0)
        records[2] = sampleRecord(job: "j", minutes: 2)
        for r in records {
            try store.write(r)
            let log = try store.prepareLog(job: "j", id: r.id)
            _ = FileManager.default.createFile(atPath: log, contents: Data("log".utf8))
        }
        let removed = try store.pruneHistory(job: "j", retention: HistoryRetention(keep: 2), now: t0)
        #expect(removed == [records[1].id, records[3].id])
        #expect(try store.recordIDs(job: "j") == [records[0].id, records[2].id, records[4].id, records[5].id])
        #expect(dir.names("logs/j") == [records[0], records[2], records[4], records[5]].map { "\($0.id.rawValue).log" })
        #expect(try store.pruneHistory(job: "j", retention: HistoryRetention(keep: 2), now: t0).isEmpty)
    }

    /// A prepared store holding `count` finished records of job `j`, one minute apart, the
    /// one at `brokenAt` overwritten with JSON cut short; and that record's path.
    static func finishedRecords(_ count: Int, brokenAt: Int, in dir: TempDirectory) throws
        -> (store: StateStore, records: [ExecutionRecord], broken: String) {
        let store = StateStore(root: dir.path)
        try store.prepare()
        let records = try (0..<count).map { try finished(sampleRecord(job: "j", minutes: $0)) }
        for r in records { try store.write(r) }
        let broken = store.layout.executionFile(job: "j", id: records[brokenAt].id)
        try Data("{\"state\": ".utf8).write(to: URL(fileURLWithPath: broken))
        return (store, records, broken)
    }

    @Test func retentionPassesOverAnUnreadableRecordWhenAskedTo() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (store, records, broken) = try Self.finishedRecords(4, brokenAt: 1, in: dir)
        #expect(throws: StateStoreError.self) { try store.pruneHistory(job: "j", retention: HistoryRetention(keep: 1), now: t0) }
        var reported: [String] = []
        let removed = try store.pruneHistory(job: "j", retention: HistoryRetention(keep: 1), now: t0) { reported.append($0.path) }
        #expect(removed == [records[0].id, records[2].id])
        #expect(reported == [broken])
        #expect(try store.recordIDs(job: "j") == [records[1].id, records[3].id])
    }

    /// At its limit a job prunes after every run: only the records that may go are read,
    /// not its whole history (a record among the newest that does not parse is not even
    /// looked at).
    @Test func retentionReadsOnlyTheRecordsThatMayGo() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (store, records, _) = try Self.finishedRecords(5, brokenAt: 4, in: dir)
        let removed = try store.pruneHistory(job: "j", retention: HistoryRetention(keep: 3), now: t0)
        #expect(removed == [records[0].id, records[1].id])
        #expect(try store.recordIDs(job: "j") == records[2...].map(\.id))
    }

    @Test func retentionByAge() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let store = StateStore(root: dir.path)
        let records = try [0, 60, 120].map { try finished(sampleRecord(job: "j", minutes: $0)) }
        for r in records { try store.write(r) }
        // At t0 + 150 min with max_age 60 min: records that finished before t0 + 90 min go.
        let now = t0.addingTimeInterval(150 * 60)
        let removed = try store.pruneHistory(job: "j", retention: HistoryRetention(keep: nil, maxAge: .seconds(3600)), now: now)
        #expect(removed == [records[0].id, records[1].id])
        #expect(try store.recordIDs(job: "j") == [records[2].id])
    }

    @Test func writeDocumentCreatesDirectoriesForNestedJobs() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let store = StateStore(root: dir.path)
        struct Result: Encodable { let schema = "jobdir.result/v1"; let job: String }
        try store.writeDocument(Result(job: "reports/weekly"), to: store.layout.resultFile(job: "reports/weekly"))
        #expect(dir.read("results/reports/weekly.json") == "{\n  \"job\" : \"reports/weekly\",\n  \"schema\" : \"jobdir.result/v1\"\n}\n")
    }
}
