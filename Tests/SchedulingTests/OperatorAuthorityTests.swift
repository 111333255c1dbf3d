import Testing
@testable import Scheduling

@Suite struct OperatorAuthorityTests {
    func request(uid: UInt32 = 1000, name: String = "alice", groups: Set<String> = ["alice"], gids: Set<UInt32> = [1000],
                 links: UInt = 1) -> ApprovalAuthority.Marker {
        ApprovalAuthority.Marker(isRegularFile: true, isSymlink: false, ownerUID: uid, ownerName: name, ownerGroups: groups,
                                 ownerGroupIDs: gids, linkCount: links)
    }

    @Test func aNumberNamesTheUserOrGroupOfThatIdAsForReadingTheJobsState() {
        let alice = request(uid: 1000, name: "alice", groups: ["alice", "staff"], gids: [1000, 50])
        for listed in [["1000"], ["@50"], ["@staff"], ["alice"]] {
            #expect(OperatorAuthority.refusal(of: alice, jobUserUID: 0, operators: listed, daemonUID: 0) == nil, "\(listed)")
            #expect(ApprovalAuthority.refusal(of: alice, approvers: listed, daemonUID: 0) == nil, "\(listed)")
        }
        for listed in [["1001"], ["@1000000"], ["@1001"]] {
            #expect(OperatorAuthority.refusal(of: alice, jobUserUID: 0, operators: listed, daemonUID: 0) != nil, "\(listed)")
            #expect(ApprovalAuthority.refusal(of: alice, approvers: listed, daemonUID: 0) != nil, "\(listed)")
        }
        // A user named by digits is named by their id: the databases are asked for a number as an id first.
        let digits = request(uid: 1002, name: "1000", groups: [], gids: [])
        #expect(OperatorAuthority.refusal(of: digits, jobUserUID: 0, operators: ["1000"], daemonUID: 0) != nil)
    }

    @Test func aFileWithMoreThanOneNameNeverCountsNotEvenRoots() {
        let linked = request(uid: 0, name: "root", links: 2)
        let reason = "the file has 2 names (hard links); a request must be a file of its own"
        #expect(OperatorAuthority.refusal(of: linked, jobUserUID: 0, operators: [], daemonUID: 0) == reason)
        #expect(ApprovalAuthority.refusal(of: linked, approvers: [], daemonUID: 0) == reason)
        #expect(OperatorAuthority.refusalWithoutDefinition(of: linked, daemonUID: 0) == reason)
    }

    @Test func withoutADefinitionOnlyRootAndTheDaemonsUserCount() {
        #expect(OperatorAuthority.refusalWithoutDefinition(of: request(uid: 0, name: "root"), daemonUID: 1000) == nil)
        #expect(OperatorAuthority.refusalWithoutDefinition(of: request(uid: 1000), daemonUID: 1000) == nil)
        #expect(OperatorAuthority.refusalWithoutDefinition(of: request(uid: 1001, name: "bob"), daemonUID: 1000)
                == "owned by bob, who is neither root nor the daemon's user (the job's definition is gone)")
    }

    @Test func onlyRootTheDaemonsUserAndTheJobsUserSetTheEnvironment() {
        #expect(OperatorAuthority.maySetEnvironment(ownerUID: 0, jobUserUID: 1000, daemonUID: 0))
        #expect(OperatorAuthority.maySetEnvironment(ownerUID: 1000, jobUserUID: 1000, daemonUID: 0))
        #expect(OperatorAuthority.maySetEnvironment(ownerUID: 500, jobUserUID: 1000, daemonUID: 500))
        #expect(!OperatorAuthority.maySetEnvironment(ownerUID: 1001, jobUserUID: 0, daemonUID: 0), "an operator of root's job")
    }

    @Test func noRequestSetsWhatTheLoaderOrAShellActsOnFirst() {
        let (kept, dropped) = TriggerRequest.withoutIgnoredNames([
            "X": "1", "PATH": "/opt/bin", "LD_PRELOAD": "/tmp/x.so", "LD_LIBRARY_PATH": "/tmp", "BASH_ENV": "/tmp/x", "ENV": "/tmp/x",
            "GCONV_PATH": "/tmp", "SHELLOPTS": "xtrace", "IFS": "/", "JOBDIR_JOB": "other",
        ])
        #expect(kept == ["X": "1", "PATH": "/opt/bin"])
        #expect(dropped == ["BASH_ENV", "ENV", "GCONV_PATH", "IFS", "JOBDIR_JOB", "LD_LIBRARY_PATH", "LD_PRELOAD", "SHELLOPTS"])
    }
}
