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

    /// Turns `loop` and the client's copies until `done` holds or `seconds` pass.
    func turn(_ loop: HTTPTestLoop, _ client: EtcdClient, seconds: Double, until done: () -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while !done() && Date() < deadline {
            loop.run(seconds: 0.02, until: done)
            client.tick()
        }
    }

    /// An endpoint that takes a request and never answers (as a follower does with a write
    /// it forwarded to a leader that has just died): an idempotent call is answered through
    /// a copy sent to the next endpoint, long before its own timeout; a lease grant, which
    /// is not idempotent, is sent nowhere else until that endpoint has failed.
    @Test func aCallAnEndpointNeverAnswersIsAnsweredByACopyToTheNext() async throws {
        let etcd = try await EtcdCluster()
        defer { etcd.stop() }
        let silent = try ScriptedHTTPServer { _, _ in .silence }
        defer { silent.stop() }
        let loop = try HTTPTestLoop()
        let client = EtcdClient(endpoints: [silent.url(""), etcd.members[0].clientURL], http: loop.client)
        client.callTimeout = .seconds(60)
        client.hedgeAfter = .milliseconds(100)
        var answer: Result<[String: Any], EtcdError>?
        client.call("/v3/kv/range", body: EtcdRequests.range(prefix: "/x")) { answer = $0 }
        turn(loop, client, seconds: 20) { answer != nil }
        #expect(throws: Never.self) { try #require(answer).get() }
        #expect(silent.requests.map(\.path) == ["/v3/kv/range"])
        #expect(client.currentEndpoint == etcd.members[0].clientURL, "the endpoint that answered is used first from now on")
        #expect(client.nextWake == nil, "no copy is left to send")

        let granting = EtcdClient(endpoints: [silent.url(""), etcd.members[0].clientURL], http: loop.client)
        granting.callTimeout = .seconds(5)
        granting.hedgeAfter = .milliseconds(100)
        var granted: Result<[String: Any], EtcdError>?
        granting.call("/v3/lease/grant", body: EtcdRequests.grant(ttlSeconds: 10), idempotent: false) { granted = $0 }
        #expect(granting.nextWake == nil, "a grant has no copies")
        turn(loop, granting, seconds: 1) { granted != nil }
        #expect(granted == nil, "not sent to the second endpoint while the first may still answer")
        // Once the first endpoint's 5 s are over, the second one grants it.
        turn(loop, granting, seconds: 20) { granted != nil }
        #expect(EtcdResponses.grant(try #require(granted).get())?.ttl == 10)
        #expect(silent.requests.count == 2)
    }
}
