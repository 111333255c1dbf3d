import Foundation
import Glibc
import Testing
import TestSupport
@testable import Definitions

@Suite struct JobDirectoryTests {
    @Test func classifiesPathsBySpecRules() {
        #expect(JobPathRules.classify("backup.yaml") == .job(JobID("backup")!))
        #expect(JobPathRules.classify("reports/weekly.yml") == .job(JobID("reports/weekly")!))
        #expect(JobPathRules.classify("_defaults.yaml") == .defaults)
        for ignored in [".git/x.yaml", "_drafts/x.yaml", "sub/_x.yaml", "a.yaml~", "#a.yaml#", ".a.yaml.swp", "a.swx", "a.tmp", "a.json", "README", "sub/.hidden.yaml"] {
            #expect(JobPathRules.classify(ignored) == .ignored, "\(ignored)")
        }
        guard case .invalidID(let reason) = JobPathRules.classify("bad name.yaml") else { Issue.record("accepted"); return }
        #expect(reason.hasPrefix("`bad name` cannot be part of a job id"))
        if case .job = JobPathRules.classify("-dash/x.yaml") { Issue.record("accepted a segment starting with -") }
        if case .job = JobPathRules.classify(String(repeating: "a", count: 65) + ".yaml") { Issue.record("accepted 65 characters") }
    }

    @Test func loadsADirectoryWithDefaultsAndNestedJobs() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("_defaults.yaml", "timeout: 7m\n")
        try dir.write("a.yaml", "command: echo a\n")
        try dir.write("reports/weekly.yml", "command: echo w\nafter: a\n")
        try dir.write("_drafts/ignored.yaml", "not: valid\n")
        try dir.write(".git/ignored.yaml", "not: valid\n")
        try dir.write("notes.txt", "x")
        let catalog = JobDirectory(root: dir.path).loadAll()
        #expect(catalog.problems.isEmpty, "\(catalog.problems)")
        #expect(catalog.definitions.keys.map(\.rawValue).sorted() == ["a", "reports/weekly"])
        #expect(catalog.definitions[JobID("a")!]?.timeout == .seconds(420))
        #expect(catalog.definitions[JobID("reports/weekly")!]?.workdir == dir.path + "/reports")
    }

    @Test func aFileReadAheadIsFinishedAsALoadWouldBeAndAGoneOneIsToldApart() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("a.yaml", "command: echo a\ntimeout: 5m\n")
        let jobs = JobDirectory(root: dir.path)
        let read = jobs.read("a.yaml", defaults: .absent)
        #expect(!read.isMissing)
        let finished = try #require(jobs.finish(read))
        let loaded = try #require(jobs.load("a.yaml", defaults: .absent))
        #expect(try finished.result.get() == loaded.result.get())
        let gone = jobs.read("gone.yaml", defaults: .absent)
        #expect(gone.isMissing, "a file that is not there is told apart from one that cannot be read")
        guard case .failure(let problems)? = jobs.finish(gone)?.result else { Issue.record("no failure"); return }
        #expect(problems.items.first?.message.hasPrefix("cannot open") == true, "for other callers, as load says it")
        #expect(jobs.finish(jobs.read("notes.txt", defaults: .absent)) == nil, "ignored")
    }

    @Test func readingAJobFileLeavesItsAccessTimeAlone() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("a.yaml", "command: echo a\n")
        let path = dir.path + "/a.yaml"
        // Read two days ago, changed since: any reading that updates access times would.
        var times = [timespec(tv_sec: time(nil) - 2 * 86_400, tv_nsec: 0), timespec(tv_sec: time(nil) - 60, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        var before = stat(), after = stat()
        stat(path, &before)
        #expect(try JobDirectory(root: dir.path).load("a.yaml", defaults: .absent)?.result.get().id.rawValue == "a")
        stat(path, &after)
        #expect(after.st_atim.tv_sec == before.st_atim.tv_sec)
    }

    @Test func changingDefaultsChangesTheDefinitionHash() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("a.yaml", "command: echo a\n")
        let before = JobDirectory(root: dir.path).loadAll().definitions[JobID("a")!]?.sha256
        try dir.write("_defaults.yaml", "timeout: 7m\n")
        let after = JobDirectory(root: dir.path).loadAll().definitions[JobID("a")!]?.sha256
        #expect(before != nil && after != nil && before != after)
    }

    @Test func duplicateIDsAreErrorsForBothFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("a.yaml", "command: echo x\n")
        try dir.write("a.yml", "command: echo y\n")
        let catalog = JobDirectory(root: dir.path).loadAll()
        #expect(catalog.definitions.isEmpty)
        #expect(catalog.problems.map(\.description) == [
            "\(dir.path)/a.yaml:1:1: duplicate job id `a`: also defined by \(dir.path)/a.yml",
            "\(dir.path)/a.yml:1:1: duplicate job id `a`: also defined by \(dir.path)/a.yaml",
        ])
    }

    @Test func invalidDefaultsBlockEveryJobWithAReason() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("_defaults.yaml", "timeout: never\n")
        try dir.write("a.yaml", "command: x\n")
        let catalog = JobDirectory(root: dir.path).loadAll()
        #expect(catalog.problems.map(\.description) == [
            "\(dir.path)/_defaults.yaml:1:10: `timeout` must be a duration like 500ms, 90s, 5m, 1h30m or 2d; found `never`",
            "\(dir.path)/a.yaml:1:1: not loaded: \(dir.path)/_defaults.yaml has errors; fix it first",
        ])
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to give the defaults to nobody"))
    func defaultsOwnedByAnotherUserBlockEveryJob() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("_defaults.yaml", "env: {LD_PRELOAD: /tmp/x.so}\n")
        try dir.write("a.yaml", "command: x\n")
        let nobody = try #require(getpwnam("nobody")?.pointee)
        chown(dir.path + "/_defaults.yaml", nobody.pw_uid, nobody.pw_gid)
        let catalog = JobDirectory(root: dir.path).loadAll()
        #expect(catalog.definitions.isEmpty)
        #expect(catalog.problems.map(\.description) == [
            "\(dir.path)/_defaults.yaml:1:1: refused: owned by nobody; _defaults.yaml is merged into every job, so it must belong to root; "
                + "run `chown root \(dir.path)/_defaults.yaml`",
            "\(dir.path)/a.yaml:1:1: not loaded: \(dir.path)/_defaults.yaml has errors; fix it first",
        ])
    }

    @Test func refusesGroupWritableFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("a.yaml", "command: x\n", mode: 0o664)
        let catalog = JobDirectory(root: dir.path).loadAll()
        #expect(catalog.problems.map(\.description) == ["\(dir.path)/a.yaml:1:1: refused: writable by group or others (mode 664); run `chmod go-w \(dir.path)/a.yaml`"])
    }

    @Test func refusesFilesOwnedByAnotherUserUnlessRoot() throws {
        // A daemon that is not root runs every job as itself: another user's file is refused.
        let refusal = JobFileReader.ownershipProblem(uid: 65534, mode: 0o644, path: "a.yaml", daemonUID: 1000)
        #expect(refusal?.hasPrefix("refused: owned by ") == true)
        #expect(refusal?.contains("(the daemon's user) or root; run `chown ") == true)
        #expect(JobFileReader.ownershipProblem(uid: 0, mode: 0o644, path: "a.yaml", daemonUID: 1000) == nil)
        // A root daemon runs it as its owner (SPEC section 11).
        #expect(JobFileReader.ownershipProblem(uid: 65534, mode: 0o644, path: "a.yaml", daemonUID: 0) == nil)
        #expect(JobFileReader.ownershipProblem(uid: 65534, mode: 0o664, path: "a.yaml", daemonUID: 0)?.hasPrefix("refused: writable by group or others") == true)
    }

    @Test func reportsUnknownUpstreamsAndCycles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("a.yaml", "command: x\nafter: c\n")
        try dir.write("b.yaml", "command: x\nafter: a\n")
        try dir.write("c.yaml", "command: x\nafter: b\n")
        try dir.write("d.yaml", "command: x\nafter: bb\n")
        let problems = JobDirectory(root: dir.path).loadAll().problems.map(\.description)
        #expect(problems == [
            "\(dir.path)/a.yaml:2:8: `after` makes a chain cycle: a → b → c → a",
            "\(dir.path)/b.yaml:2:8: `after` makes a chain cycle: a → b → c → a",
            "\(dir.path)/c.yaml:2:8: `after` makes a chain cycle: a → b → c → a",
            "\(dir.path)/d.yaml:2:8: `after`: no job `bb`; did you mean `b`?",
        ])
    }

    @Test func missingDirectoryIsOneClearProblem() {
        let catalog = JobDirectory(root: "/nonexistent/jobs").loadAll()
        #expect(catalog.problems.map(\.description) == ["/nonexistent/jobs:1:1: cannot read the jobs directory: No such file or directory"])
    }
}
