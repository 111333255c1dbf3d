import Foundation
import HTTP
import HTTPTestSupport
import Testing
import TestSupport
@testable import Fleet

/// `EtcdClient` on a loop of the test's own against a real etcd on 127.0.0.1.
@Suite(.serialized, .enabled(if: EtcdCluster.unavailable == nil, "\(EtcdCluster.unavailable ?? "")"))
struct EtcdClientTests {
    func call(_ client: EtcdClient, _ loop: HTTPTestLoop, _ path: String, _ body: [UInt8]) throws -> [String: Any] {
        var answer: Result<[String: Any], EtcdError>?
        client.call(path, body: body) { answer = $0 }
        loop.run(seconds: 10) { answer != nil }
        return try #require(answer).get()
    }

    @Test func claimsWatchAndADeadEndpointFirst() async throws {
        let etcd = try await EtcdCluster()
        defer { etcd.stop() }
        let loop = try HTTPTestLoop()
        // Nothing listens on the first endpoint: the client goes on to the next one.
        let dead = "http://127.0.0.1:\(try EtcdCluster.freePort())"
        let client = EtcdClient(endpoints: [dead, etcd.members[0].clientURL], http: loop.client)
        let grant = try #require(EtcdResponses.grant(try call(client, loop, "/v3/lease/grant", EtcdRequests.grant(ttlSeconds: 10))))
        #expect(grant.ttl == 10)
        #expect(client.currentEndpoint == etcd.members[0].clientURL)

        let claim = { () throws -> (succeeded: Bool, ranges: [[EtcdKeyValue]], revision: Int64) in
            EtcdResponses.txn(try call(client, loop, "/v3/kv/txn", EtcdRequests.txn(
                compare: [.createRevision(key: "/t/claims/x", equals: 0), .createRevision(key: "/t/done/x", equals: 0)],
                success: [.put(key: "/t/claims/x", value: Array("a".utf8), lease: grant.id)],
                failure: [.range(key: "/t/claims/x"), .range(key: "/t/done/x")])))
        }
        let won = try claim()
        #expect(won.succeeded)
        let lost = try claim()
        #expect(!lost.succeeded)
        #expect(lost.ranges.first?.first?.createRevision == won.revision, "the holder's create revision is the fence")
        #expect(lost.ranges.first?.first?.lease == grant.id)

        var messages: [EtcdWatchMessage] = []
        client.watch(prefix: "/t/claims/", startRevision: won.revision + 1, onMessage: { messages.append($0) }, onEnd: { _ in })
        loop.run(seconds: 10) { messages.contains { if case .created = $0 { true } else { false } } }
        _ = try call(client, loop, "/v3/kv/deleterange", EtcdRequests.delete(key: "/t/claims/x"))
        loop.run(seconds: 10) { messages.contains { if case .events = $0 { true } else { false } } }
        let events = messages.compactMap { if case .events(let events, _) = $0 { events } else { nil } }.flatMap { $0 }
        #expect(events.count == 1)
        #expect(events.first?.isDelete == true)
        #expect(events.first?.previous?.text == "a")

        let renewed = EtcdResponses.keepAliveTTL(try call(client, loop, "/v3/lease/keepalive", EtcdRequests.keepAlive(lease: grant.id)))
        #expect(renewed == 10)
        _ = try call(client, loop, "/v3/lease/revoke", EtcdRequests.revoke(lease: grant.id))
        #expect(EtcdResponses.keepAliveTTL(try call(client, loop, "/v3/lease/keepalive", EtcdRequests.keepAlive(lease: grant.id))) == 0)
    }

    @Test func noEndpointAnsweringIsAnError() throws {
        let loop = try HTTPTestLoop()
        let client = EtcdClient(endpoints: ["http://127.0.0.1:\(try EtcdCluster.freePort())"], http: loop.client)
        var answer: Result<[String: Any], EtcdError>?
        client.call("/v3/kv/range", body: EtcdRequests.range(prefix: "/x")) { answer = $0 }
        loop.run(seconds: 10) { answer != nil }
        #expect(throws: EtcdError.self) { try #require(answer).get() }
    }
}
