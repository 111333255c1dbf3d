import Testing
@testable import Scheduling

@Suite struct ApprovalAuthorityTests {
    func marker(uid: UInt32 = 1000, name: String = "alice", groups: Set<String> = ["alice"], regular: Bool = true, symlink: Bool = false) -> ApprovalAuthority.Marker {
        ApprovalAuthority.Marker(isRegularFile: regular, isSymlink: symlink, ownerUID: uid, ownerName: name, ownerGroups: groups)
    }

    @Test func withoutApproversOnlyTheDaemonUserOrRootDecide() {
        #expect(ApprovalAuthority.refusal(of: marker(uid: 1000), approvers: [], daemonUID: 1000) == nil)
        #expect(ApprovalAuthority.refusal(of: marker(uid: 0, name: "root"), approvers: [], daemonUID: 1000) == nil)
        #expect(ApprovalAuthority.refusal(of: marker(uid: 1001, name: "bob"), approvers: [], daemonUID: 1000)?.hasPrefix("owned by bob") == true)
    }

    @Test func listedUsersAndGroupMembersDecide() {
        #expect(ApprovalAuthority.refusal(of: marker(), approvers: ["alice"], daemonUID: 0) == nil)
        #expect(ApprovalAuthority.refusal(of: marker(name: "bob", groups: ["ops"]), approvers: ["alice", "@ops"], daemonUID: 0) == nil)
        #expect(ApprovalAuthority.refusal(of: marker(uid: 0, name: "root", groups: ["root"]), approvers: ["alice"], daemonUID: 0)?.contains("not among the approvers (alice)") == true)
    }

    @Test func symlinksAndNonRegularFilesNeverCount() {
        #expect(ApprovalAuthority.refusal(of: marker(symlink: true), approvers: ["alice"], daemonUID: 1000) == "a symlink does not count; create a regular file")
        #expect(ApprovalAuthority.refusal(of: marker(regular: false), approvers: [], daemonUID: 1000) == "not a regular file")
    }

    @Test func aMarkerWrittenBeforeItsRequestDoesNotCount() {
        #expect(ApprovalAuthority.staleRefusal(modified: 1000, requested: 1000) == nil)
        #expect(ApprovalAuthority.staleRefusal(modified: 999, requested: 1000) == nil, "the file clock is coarse")
        #expect(ApprovalAuthority.staleRefusal(modified: 900, requested: 1000)?.hasPrefix("last modified before the approval was requested") == true)
    }
}
