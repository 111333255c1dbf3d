import PolicySupport
import Scheduling
import Testing

@Suite struct WaitReasonTests {
    @Test func reasonsAsWritten() {
        #expect(WaitReason.overlap.description == "overlap")
        #expect(WaitReason.pool("db").description == "pool db")
        #expect(WaitReason.maxParallel.description == "max-parallel")
        #expect(WaitReason.retry(at: Policy.at(12.345)).description == "retry at 2026-11-23T01:30:12.345Z")
        #expect(WaitReason.replacing.description == "replacing")
    }
}
