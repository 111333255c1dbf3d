@testable import Daemon
import Definitions
import PolicySupport
import Scheduling
import StateStore
import Testing

/// Who reads each job's state files: when a job's directories are granted again, and which
/// result and approval files get an ACL. Users and groups come from this machine's
/// databases: `daemon` (uid 1), `bin` (uid 2) and the group `adm` (gid 4) of Debian.
@Suite struct StateAccessTests {
    let daemonUID: UInt32 = 1000
    let layout = StateLayout(root: "/state")

    @Test func aJobsDirectoriesAreGrantedAtItsFirstInstall() {
        var access = StateAccess()
        let first = access.update(Policy.job("a", "operators: [daemon, \"@adm\"]"), daemonUID: daemonUID)
        #expect(first == StateReaders(users: [1], groups: [4]))
        let none = access.update(Policy.job("b"), daemonUID: daemonUID)
        #expect(none == .nobody, "a job nobody else reads is granted too: its directories' earlier ACLs go")
    }

    @Test func theSameReadersAreNotGrantedAgain() {
        var access = StateAccess()
        _ = access.update(Policy.job("a", "operators: [daemon]"), daemonUID: daemonUID)
        let again = access.update(Policy.job("a", "operators: [daemon]"), daemonUID: daemonUID)
        #expect(again == nil)
        let otherwiseEdited = access.update(Policy.job("a", "operators: [daemon]\ntimeout: 5m"), daemonUID: daemonUID)
        #expect(otherwiseEdited == nil, "an edit elsewhere in the file")
        let sameUsers = access.update(Policy.job("a", "operators: [daemon, daemon, root]"), daemonUID: daemonUID)
        #expect(sameUsers == nil, "the same users named otherwise (root reads anyway)")
    }

    @Test func changedReadersAreGrantedAgainOnce() {
        var access = StateAccess()
        _ = access.update(Policy.job("a", "operators: [daemon]"), daemonUID: daemonUID)
        let added = access.update(Policy.job("a", "operators: [daemon, bin]"), daemonUID: daemonUID)
        #expect(added == StateReaders(users: [1, 2], groups: []))
        let same = access.update(Policy.job("a", "operators: [bin, daemon]"), daemonUID: daemonUID)
        #expect(same == nil)
        let removed = access.update(Policy.job("a"), daemonUID: daemonUID)
        #expect(removed == .nobody)
    }

    @Test func approversAloneDoNotGrantTheDirectoriesAgain() {
        var access = StateAccess()
        _ = access.update(Policy.job("a", "operators: [daemon]"), daemonUID: daemonUID)
        let approvers = access.update(Policy.job("a", "operators: [daemon]\napproval: {approvers: [bin]}"), daemonUID: daemonUID)
        #expect(approvers == nil)
    }

    @Test func theDaemonsOwnUserIsNoReader() {
        var access = StateAccess()
        let readers = access.update(Policy.job("a", "operators: [daemon, bin]"), daemonUID: 1)
        #expect(readers == StateReaders(users: [2], groups: []))
    }

    @Test func resultsAndApprovalRequestsGetTheirJobsReaders() {
        var access = StateAccess()
        _ = access.update(Policy.job("a", "operators: [daemon]\napproval: {approvers: [bin]}"), daemonUID: daemonUID)
        _ = access.update(Policy.job("b"), daemonUID: daemonUID)
        let pending = Policy.id(0)
        let paths = [
            layout.resultFile(job: "a"), layout.resultFile(job: "b"), layout.resultFile(job: "unknown"),
            layout.approvalsDirectory + "/\(pending.rawValue).json", layout.executionFile(job: "a", id: pending),
            layout.resultsDirectory + "/a.tmp",
        ]
        let lists = access.accessLists(for: paths, layout: layout) { $0 == pending ? Policy.jobID("a") : nil }
        #expect(lists == [
            layout.resultFile(job: "a"): AccessList(readers: StateReaders(users: [1], groups: []), directory: false),
            layout.approvalsDirectory + "/\(pending.rawValue).json": AccessList(readers: StateReaders(users: [2], groups: []), directory: false),
        ])
    }

    @Test func anApproversChangeReachesTheNextApprovalFile() {
        var access = StateAccess()
        let pending = Policy.id(0)
        let file = layout.approvalsDirectory + "/\(pending.rawValue).json"
        _ = access.update(Policy.job("a", "approval: {approvers: [bin]}"), daemonUID: daemonUID)
        _ = access.update(Policy.job("a", "approval: {approvers: [daemon]}"), daemonUID: daemonUID)
        let lists = access.accessLists(for: [file], layout: layout) { _ in Policy.jobID("a") }
        #expect(lists[file] == AccessList(readers: StateReaders(users: [1], groups: []), directory: false))
    }
}
