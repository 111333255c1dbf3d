import Foundation
import Glibc
import Testing
import TestSupport
@testable import Definitions

/// `user`, `group`, `umask`, `limits`, `operators`, and the owner rules of SPEC section 11.
@Suite struct RunSettingsTests {
    func parse(_ text: String) -> Result<JobDefinition, Diagnostics> { JobText.parse(text) }
    func problems(_ text: String) -> [String] { JobText.problems(text) }

    @Test func readsTheKeys() throws {
        let definition = try parse("""
        command: "true"
        user: nobody
        group: 65534
        umask: 0027
        limits: {memory: 1GiB, cpu_time: 1500ms, open_files: 16, processes: 8, file_size: 1MiB, core: 0, nice: 10, io: "best-effort:2"}
        operators: [alice, "@ops"]
        """).get()
        #expect(definition.user?.text == "nobody")
        #expect(definition.user?.mark.line == 2)
        #expect(definition.group?.text == "65534")
        #expect(definition.umask == 0o027)
        #expect(definition.limits.memory == 1 << 30)
        #expect(definition.limits.cpuTimeSeconds == 2)
        #expect(definition.limits.openFiles == 16)
        #expect(definition.limits.processes == 8)
        #expect(definition.limits.fileSize == 1 << 20)
        #expect(definition.limits.core == 0)
        #expect(definition.limits.nice == 10)
        #expect(definition.limits.io == IOPriority(class: .bestEffort, level: 2))
        #expect(definition.operators == ["alice", "@ops"])
    }

    @Test func defaultsAreTheDaemonsOwn() throws {
        let definition = try parse("command: \"true\"\n").get()
        #expect(definition.umask == 0o022)
        #expect(definition.limits.isEmpty)
        #expect(definition.user == nil && definition.group == nil && definition.operators.isEmpty)
        #expect(try parse("command: x\numask: '077'\nlimits: {io: idle}\n").get().limits.io == IOPriority(class: .idle, level: nil))
        #expect(try parse("command: x\numask: 22\n").get().umask == 0o022)
    }

    @Test func badValuesAreReportedWithPositions() {
        #expect(problems("command: x\numask: 0999\n") == ["job.yaml:2:8: `umask` must be octal digits like 022 or 0077; found `0999`"])
        #expect(problems("command: x\nlimits:\n  nice: 20\n") == ["job.yaml:3:9: `limits.nice` must be between -20 and 19; found 20"])
        #expect(problems("command: x\nlimits: {io: idle:3}\n").first?.hasPrefix("job.yaml:2:14: `limits.io` must be idle, best-effort or realtime") == true)
        #expect(problems("command: x\nlimits: {cpu_tim: 1s}\n").first?.contains("did you mean `cpu_time`") == true)
        #expect(problems("command: x\nlimits: {open_files: 2}\n") == ["job.yaml:2:22: `limits.open_files` must be between 3 and 1048576; found 2"])
        #expect(problems("command: x\nuser: 'a b'\n") == ["job.yaml:2:7: `user` must be a user name or a number; found `a b`"])
        #expect(problems("command: x\noperators: ['@']\n") == ["job.yaml:2:13: `operators`: `@` is not a user name or @group"])
        // A uid is quoted: unquoted, it is an integer, not a name.
        #expect(problems("command: x\noperators: [65534]\n")
                == ["job.yaml:2:13: `operators` must be a string; found an integer (quote it to make it a string)"])
        #expect(problems("command: x\noperators: ['65534', '@65534']\n").isEmpty)
    }

    func identity(_ text: String, owner: UInt32, daemon: UInt32) -> Result<RunIdentity, Diagnostics> {
        parse(text).flatMap {
            JobOwnership.resolve($0, fileOwner: owner, start: SourceMark(file: "job.yaml", line: 1, column: 1),
                                 daemonUID: daemon, daemonGID: daemon == 0 ? 0 : 65534)
        }
    }

    @Test func asRootAJobRunsAsItsFilesOwner() throws {
        let nobody = try #require(RunIdentity.passwd(named: "nobody"), "the system has no user nobody")
        let own = try identity("command: x\n", owner: nobody.uid, daemon: 0).get()
        #expect(own.uid == nobody.uid && own.gid == nobody.gid && own.userName == "nobody" && own.home == nobody.home && own.switches)
        let named = try identity("command: x\nuser: nobody\n", owner: 0, daemon: 0).get()
        #expect(named.uid == nobody.uid)
        let byNumber = try identity("command: x\nuser: \(nobody.uid)\ngroup: root\n", owner: 0, daemon: 0).get()
        #expect(byNumber.userName == "nobody" && byNumber.gid == 0 && byNumber.groupName == "root")
        #expect(try identity("command: x\nuser: nobody\n", owner: nobody.uid, daemon: 0).get().uid == nobody.uid)
    }

    @Test func aLoadsRememberedAccountsAnswerAsTheDatabasesDo() throws {
        let nobody = try #require(RunIdentity.passwd(named: "nobody"), "the system has no user nobody")
        let accounts = AccountLookup(remembering: true)
        let cases: [(text: String, owner: UInt32, daemon: UInt32)] = [
            ("command: x\n", nobody.uid, 0), ("command: x\n", 0, 0), ("command: x\nuser: nobody\ngroup: root\n", 0, 0),
            ("command: x\nuser: nobody\n", 0, 0), ("command: x\nuser: no-such-user-here\n", 0, 0),
            ("command: x\ngroup: no-such-group-here\n", 0, 0), ("command: x\nuser: root\n", nobody.uid, 0),
            ("command: x\n", 0, nobody.uid), ("command: x\nuser: root\n", 0, nobody.uid),
        ]
        // Twice over, so that the second round is answered from what the first remembered.
        for (text, owner, daemon) in cases + cases {
            let remembered = parse(text).flatMap {
                JobOwnership.resolve($0, fileOwner: owner, start: SourceMark(file: "job.yaml", line: 1, column: 1), accounts: accounts,
                                     daemonUID: daemon, daemonGID: daemon == 0 ? 0 : 65534)
            }
            #expect(remembered == identity(text, owner: owner, daemon: daemon), "\(text) owned by \(owner), daemon \(daemon)")
        }
    }

    @Test func anotherOwnerMayNameOnlyItself() throws {
        let nobody = try #require(RunIdentity.passwd(named: "nobody"), "the system has no user nobody")
        guard case .failure(let problems) = identity("command: x\nuser: root\n", owner: nobody.uid, daemon: 0) else {
            Issue.record("a file owned by nobody ran as root")
            return
        }
        #expect(problems.items.map(\.description) == ["job.yaml:2:7: `user: root`: this file is owned by nobody, so it may only run as nobody; only a root-owned file may name another user"])
        guard case .failure(let groups) = identity("command: x\ngroup: root\n", owner: nobody.uid, daemon: 0) else {
            Issue.record("a file owned by nobody ran with group root")
            return
        }
        #expect(groups.items.first?.description.hasPrefix("job.yaml:2:8: `group: root`: nobody is not a member of it") == true)
        guard case .failure(let unknown) = identity("command: x\nuser: no-such-user-here\n", owner: 0, daemon: 0) else {
            Issue.record("an unknown user was accepted")
            return
        }
        #expect(unknown.items.first?.description == "job.yaml:2:7: `user: no-such-user-here`: no such user in the password database")
    }

    @Test func aDaemonThatIsNotRootRefusesAnotherUser() throws {
        let nobody = try #require(RunIdentity.passwd(named: "nobody"), "the system has no user nobody")
        guard case .failure(let problems) = identity("command: x\nuser: root\n", owner: nobody.uid, daemon: nobody.uid) else {
            Issue.record("a daemon running as nobody accepted user: root")
            return
        }
        #expect(problems.items.map(\.description) == ["job.yaml:2:7: `user: root`: the daemon runs as nobody, not root, so it runs every job as nobody; remove `user:` or run the daemon as root"])
        let own = try identity("command: x\nuser: nobody\n", owner: 0, daemon: nobody.uid).get()
        #expect(own.uid == nobody.uid && !own.switches)
    }

    @Test func aDirectoryOthersCanWriteIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("shared/job.yaml", "command: x\n")
        try dir.write("ok.yaml", "command: x\n")
        chmod(dir.url("shared"), 0o775)
        let catalog = JobDirectory(root: dir.path).loadAll()
        #expect(catalog.definitions.keys.map(\.rawValue) == ["ok"])
        #expect(catalog.problems.map(\.description) == ["\(dir.path)/shared/job.yaml:1:1: refused: the directory \(dir.path)/shared is writable by group or others (mode 775), who could put a job there; run `chmod go-w \(dir.path)/shared`"])
        chmod(dir.path, 0o777)
        #expect(JobDirectory(root: dir.path).loadAll().definitions.isEmpty)
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to give a directory to nobody"))
    func aDirectoryOwnedBySomeoneElseIsRefused() throws {
        let nobody = try #require(RunIdentity.passwd(named: "nobody"))
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("theirs/job.yaml", "command: x\n")
        chown(dir.url("theirs"), nobody.uid, nobody.gid)
        let catalog = JobDirectory(root: dir.path).loadAll()
        #expect(catalog.problems.first?.description.contains("the directory \(dir.path)/theirs is owned by nobody, who could replace this file") == true)
        // Their own file in their own directory is theirs to run.
        chown(dir.url("theirs/job.yaml"), nobody.uid, nobody.gid)
        let own = JobDirectory(root: dir.path).loadAll()
        #expect(own.problems.isEmpty, "\(own.problems)")
        #expect(own.definitions[JobID("theirs/job")!]?.runAs?.userName == "nobody")
    }
}
