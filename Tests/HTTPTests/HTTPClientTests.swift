import CLinux
import Foundation
import Glibc
import HTTP
import HTTPTestSupport
import Testing
import TestSupport

/// `HTTPClient` driven by an epoll loop of the test's own, as the daemon drives it.
@Suite(.serialized) struct HTTPClientTests {
    typealias Loop = HTTPTestLoop

    @Test func aStreamedBodyArrivesPieceByPieceBeforeTheEnd() throws {
        let server = try ScriptedHTTPServer { _, _ in .stream(["{\"a\":1}\n", "{\"b\":2}\n"], pause: .milliseconds(400)) }
        defer { server.stop() }
        let loop = try Loop()
        var pieces: [(Date, String)] = []
        var response: HTTPResponse?
        loop.client.start(HTTPRequest(method: "POST", url: server.url("/v3/watch"), body: Array("{}".utf8), timeout: nil),
                          onBody: { pieces.append((Date(), String(decoding: $0, as: UTF8.self))) },
                          completion: { response = $0 })
        loop.run(seconds: 10) { response != nil }
        let ended = Date()
        #expect(response?.status == 200)
        #expect(response?.body.isEmpty == true, "streamed, not kept")
        #expect(pieces.map(\.1).joined() == "{\"a\":1}\n{\"b\":2}\n")
        let first = try #require(pieces.first)
        #expect(first.1 == "{\"a\":1}\n")
        #expect(ended.timeIntervalSince(first.0) > 0.3, "the first piece came \(ended.timeIntervalSince(first.0)) s before the end")
        #expect(server.requests.first?.bodyText == "{}")
    }

    @Test func eachRequestHasItsOwnTimeout() throws {
        let server = try ScriptedHTTPServer { number, _ in number == 0 ? .silence : .status(200) }
        defer { server.stop() }
        let loop = try Loop()
        var slow: HTTPResponse?, quick: HTTPResponse?
        let started = Date()
        loop.client.start(HTTPRequest(url: server.url("/silent"), timeout: .milliseconds(500))) { slow = $0 }
        loop.run(seconds: 2) { server.requests.count == 1 }
        loop.client.start(HTTPRequest(url: server.url("/quick"), timeout: .seconds(5))) { quick = $0 }
        loop.run(seconds: 10) { slow != nil && quick != nil }
        #expect(quick?.status == 200)
        #expect(slow?.timedOut == true)
        #expect(slow?.status == nil)
        let waited = Date().timeIntervalSince(started)
        #expect(waited > 0.4 && waited < 3, "\(waited) s")
    }

    @Test func withNothingInFlightNothingIsWatchedAndTheTimerIsDisarmed() throws {
        let server = try ScriptedHTTPServer { _, _ in .status(500) }
        defer { server.stop() }
        let loop = try Loop()
        var response: HTTPResponse?
        loop.client.start(HTTPRequest(method: "POST", url: server.url("/x"), headers: [("X-Token", "t")], body: Array("hi".utf8))) { response = $0 }
        #expect(loop.client.inFlight == 1)
        loop.run(seconds: 10) { response != nil }
        #expect(response?.status == 500 && response?.succeeded == false)
        #expect(String(decoding: response?.body ?? [], as: UTF8.self) == "status 500\n")
        #expect(server.requests.first?.headers["x-token"] == "t")
        #expect(loop.client.inFlight == 0)
        #expect(loop.watched.isEmpty)
        #expect(!loop.timerArmed)
    }

    @Test func aConnectionKeptAliveIsNotWatchedAndTheTimerIsDisarmed() throws {
        let server = try ScriptedHTTPServer { number, _ in .answer(200, body: "answer \(number)\n", keepAlive: true) }
        defer { server.stop() }
        let loop = try Loop()
        for number in 0..<2 {
            var response: HTTPResponse?
            loop.client.start(HTTPRequest(method: "POST", url: server.url("/x"), body: Array("hi".utf8))) { response = $0 }
            loop.run(seconds: 10) { response != nil }
            #expect(String(decoding: response?.body ?? [], as: UTF8.self) == "answer \(number)\n")
            // libcurl keeps the connection for the next request, and neither watches it
            // nor sets a timer for it meanwhile.
            #expect(server.openConnections == 1)
            #expect(loop.client.inFlight == 0)
            #expect(loop.watched.isEmpty)
            #expect(!loop.timerArmed)
        }
        #expect(server.requests.count == 2)
    }

    @Test func onlyHTTPAndHTTPSAreSent() throws {
        let loop = try Loop()
        var response: HTTPResponse?
        loop.client.start(HTTPRequest(url: "file:///etc/passwd")) { response = $0 }
        #expect(response?.error != nil && response?.status == nil)
        #expect(loop.client.inFlight == 0)
    }

    @Test func anUppercaseSchemeIsSent() throws {
        let server = try ScriptedHTTPServer { _, _ in .status(200) }
        defer { server.stop() }
        let loop = try Loop()
        var response: HTTPResponse?
        let url = server.url("/upper")
        #expect(url.hasPrefix("http://"))
        loop.client.start(HTTPRequest(url: "HTTP://" + url.dropFirst("http://".count))) { response = $0 }
        loop.run(seconds: 10) { response != nil }
        #expect(response?.status == 200, "\(String(describing: response?.error))")
        #expect(server.requests.count == 1)
    }

    @Test func aRefusedConnectionIsAnError() throws {
        let probe = try ScriptedHTTPServer()
        let url = probe.url("/gone")
        probe.stop()
        let loop = try Loop()
        var response: HTTPResponse?
        loop.client.start(HTTPRequest(url: url)) { response = $0 }
        loop.run(seconds: 10) { response != nil }
        #expect(response?.status == nil)
        #expect(response?.error?.isEmpty == false)
        #expect(response?.timedOut == false)
    }
}
