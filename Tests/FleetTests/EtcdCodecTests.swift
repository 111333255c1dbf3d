import Foundation
import Testing
@testable import Fleet

/// The gateway's answers as etcd 3.4.23 really gives them (int64 as strings, zero and false
/// fields left out, base64 keys), decoded; and the requests' bodies.
@Suite struct EtcdCodecTests {
    func object(_ text: String) throws -> [String: Any] { try EtcdResponses.object(Array(text.utf8)).get() }

    @Test func grantGivesTheIDAndTTLFromStrings() throws {
        let answer = try object(#"{"header":{"cluster_id":"1","revision":"1"},"ID":"7587899292517380613","TTL":"5"}"#)
        let grant = try #require(EtcdResponses.grant(answer))
        #expect(grant.id == 7_587_899_292_517_380_613)
        #expect(grant.ttl == 5)
        #expect(EtcdResponses.revision(answer) == 1)
    }

    @Test func keepAliveOfAnExpiredLeaseHasNoTTL() throws {
        #expect(EtcdResponses.keepAliveTTL(try object(#"{"result":{"header":{"revision":"3"},"ID":"7587899292517380613","TTL":"5"}}"#)) == 5)
        #expect(EtcdResponses.keepAliveTTL(try object(#"{"result":{"header":{"revision":"3"},"ID":"7587899292517380613"}}"#)) == 0)
    }

    @Test func aWonTxnSaysSucceeded() throws {
        let won = EtcdResponses.txn(try object(#"{"header":{"revision":"2"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"2"}}}]}"#))
        #expect(won.succeeded)
        #expect(won.ranges.isEmpty)
        #expect(won.revision == 2)
    }

    @Test func aLostTxnLeavesSucceededOutAndShowsTheHolder() throws {
        let lost = EtcdResponses.txn(try object(#"""
            {"header":{"revision":"2"},"responses":[{"response_range":{"header":{"revision":"2"},"kvs":[{"key":"L2E=","create_revision":"2","mod_revision":"2","version":"1","value":"dg==","lease":"7587899292517380613"}],"count":"1"}},{"response_range":{"header":{"revision":"2"}}}]}
            """#))
        #expect(!lost.succeeded)
        #expect(lost.ranges.count == 2)
        #expect(lost.ranges[0] == [EtcdKeyValue(key: "/a", value: Array("v".utf8), createRevision: 2, modRevision: 2, version: 1, lease: 7_587_899_292_517_380_613)])
        #expect(lost.ranges[1].isEmpty, "a range that found nothing leaves kvs out")
    }

    @Test func watchMessages() throws {
        #expect(EtcdWatchMessage.decode(Array(#"{"result":{"header":{"revision":"3"},"created":true}}"#.utf8)) == .created(revision: 3))
        let put = EtcdWatchMessage.decode(Array(#"{"result":{"header":{"revision":"4"},"events":[{"kv":{"key":"L2E=","create_revision":"4","mod_revision":"4","version":"1","value":"dg=="}}]}}"#.utf8))
        #expect(put == .events([EtcdWatchEvent(isDelete: false, kv: EtcdKeyValue(key: "/a", value: Array("v".utf8), createRevision: 4, modRevision: 4))], revision: 4))
        let delete = EtcdWatchMessage.decode(Array(#"{"result":{"header":{"revision":"5"},"events":[{"type":"DELETE","kv":{"key":"L2E=","mod_revision":"5"},"prev_kv":{"key":"L2E=","create_revision":"4","mod_revision":"4","version":"1","value":"dg=="}}]}}"#.utf8))
        guard case .events(let events, 5) = delete, let event = events.first else { Issue.record("\(delete)"); return }
        #expect(event.isDelete)
        #expect(event.kv.createRevision == 0, "a deleted key has no create revision")
        #expect(event.previous?.createRevision == 4)
        #expect(EtcdWatchMessage.decode(Array(#"{"result":{"header":{"revision":"12"},"canceled":true,"compact_revision":"9"}}"#.utf8))
                == .canceled(compactRevision: 9, reason: ""))
    }

    @Test func errorsAreErrors() throws {
        let answer = EtcdResponses.object(Array(#"{"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5}"#.utf8))
        #expect(throws: EtcdError(message: "etcdserver: requested lease not found", code: 5)) { try answer.get() }
        #expect(throws: EtcdError.self) { try EtcdResponses.object(Array("<html>".utf8)).get() }
    }

    @Test func requestsUseStringsAndBase64() throws {
        let txn = try object(String(decoding: EtcdRequests.txn(
            compare: [.createRevision(key: "/a", equals: 0)],
            success: [.put(key: "/a", value: Array("v".utf8), lease: 42)],
            failure: [.range(key: "/a")]), as: UTF8.self))
        let compare = try #require((txn["compare"] as? [[String: Any]])?.first)
        #expect(compare["key"] as? String == "L2E=")
        #expect(compare["target"] as? String == "CREATE" && compare["result"] as? String == "EQUAL")
        #expect(compare["create_revision"] as? String == "0")
        let put = try #require((txn["success"] as? [[String: Any]])?.first?["request_put"] as? [String: Any])
        #expect(put["lease"] as? String == "42" && put["value"] as? String == "dg==")
        let watch = try object(String(decoding: EtcdRequests.watch(prefix: "/a", startRevision: 7), as: UTF8.self))
        let create = try #require(watch["create_request"] as? [String: Any])
        #expect(create["range_end"] as? String == EtcdValue.base64("/b"))
        #expect(create["start_revision"] as? String == "7")
        #expect(EtcdValue.prefixEnd([0x61, 0xff]) == [0x62])
    }

    @Test func linesAreSplitAcrossChunks() {
        var buffer = LineBuffer()
        let first = Array("{\"a\":1}\n{\"b\"".utf8), second = Array(":2}\n\n".utf8)
        #expect(first.withUnsafeBytes { buffer.append($0) } == [Array("{\"a\":1}".utf8)])
        #expect(second.withUnsafeBytes { buffer.append($0) } == [Array("{\"b\":2}".utf8)])
    }
}
