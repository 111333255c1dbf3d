import Foundation
import Glibc
import HTTP
import HTTPTestSupport
import Testing
import TestSupport
@testable import Fleet

/// `FleetMember` on a loop of the test's own against a real etcd: what its claims, done
/// marks, updates and prunings leave in etcd. Its clock can be moved on (`skew`) to stand
/// for a host that was paused.
@Suite(.serialized, .enabled(if: EtcdCluster.unavailable == nil, "\(EtcdCluster.unavailable ?? "")"))
struct FleetMemberTests {
    final class Harness {
        let etcd: EtcdCluster
        let loop: HTTPTestLoop
        let raw: EtcdClient
        var events: [String] = []
        var logged: [String] = []
        /// Added to the monotonic clock the members read.
        var skew: UInt64 = 0

        init(_ etcd: EtcdCluster) throws {
            self.etcd = etcd
            loop = try HTTPTestLoop()
            raw = EtcdClient(endpoints: [etcd.members[0].clientURL], http: loop.client)
        }

        static func monotonicNow() -> UInt64 {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        }

        func member(_ host: String, ttl: Duration = .seconds(10), fenceFile: FenceFile? = nil) -> FleetMember {
            let member = FleetMember(fleet: "t", host: host, labels: [:], client: EtcdClient(endpoints: [etcd.members[0].clientURL], http: loop.client),
                                     ttl: ttl, margin: .seconds(3), fenceFile: fenceFile, monotonicNow: { [unowned self] in Self.monotonicNow() + self.skew },
                                     log: { [unowned self] name, _ in self.logged.append(name) },
                                     onEvent: { [unowned self] event in self.events.append("\(event)") })
            return member
        }

        /// Turns the loop (and `members`' timers) until `done` holds or `seconds` pass.
        func turn(_ members: [FleetMember], seconds: Double = 10, until done: () -> Bool) {
            let deadline = Date().addingTimeInterval(seconds)
            while !done() && Date() < deadline {
                loop.run(seconds: 0.02, until: done)
                for member in members { member.tick() }
            }
        }

        func joined(_ member: FleetMember) -> FleetMember {
            member.start(adopting: nil)
            turn([member]) { member.mayClaim }
            return member
        }

        func claim(_ member: FleetMember, _ occurrence: String, runningKey: String? = nil) -> FleetMember.ClaimAnswer? {
            var answer: FleetMember.ClaimAnswer?
            member.claim(occurrence, value: FleetMember.json(["host": member.host, "attempt": 1]), runningKey: runningKey) { answer = $0 }
            turn([member]) { answer != nil }
            return answer
        }

        func call(_ path: String, _ body: [UInt8]) -> [String: Any]? {
            var answer: Result<[String: Any], EtcdError>?
            raw.call(path, body: body) { answer = $0 }
            loop.run(seconds: 10) { answer != nil }
            return try? answer?.get()
        }

        func keys(_ prefix: String) -> [EtcdKeyValue] {
            call("/v3/kv/range", EtcdRequests.range(prefix: prefix)).map(EtcdResponses.keyValues) ?? []
        }

        func key(_ key: String) -> EtcdKeyValue? { keys(key).first { $0.key == key } }

        /// Waits until `key` holds (or, with nil, lacks) a value.
        @discardableResult
        func wait(for key: String, present: Bool = true, seconds: Double = 10) -> EtcdKeyValue? {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let found = self.key(key)
                if (found != nil) == present { return found }
                loop.run(seconds: 0.05) { false }
            }
            return self.key(key)
        }
    }

    static func fence(_ answer: FleetMember.ClaimAnswer?) -> Int64? {
        if case .won(let fence)? = answer { fence } else { nil }
    }

    @Test func theFenceFileGivenAtInitHoldsTheLeasesDeadlineAndGoesWithTheLease() async throws {
        let etcd = try await EtcdCluster()
        defer { etcd.stop() }
        let h = try Harness(etcd)
        let dir = try TemporaryDirectory("jobdir-fence-file")
        defer { dir.remove() }
        let member = h.joined(h.member("a", fenceFile: FenceFile(directory: dir.path + "/fleet")))
        #expect(member.mayClaim, "\(h.logged)")
        let path = try #require(member.currentFenceFile)
        #expect(path == dir.path + "/fleet/lease-\(String(member.lease, radix: 16)).deadline")
        let written = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(written != nil && written == member.clock.deadline)
        // Resumed past its deadline (a pause), the member fences itself: the file goes with the lease.
        h.skew = 60_000_000_000
        h.turn([member], seconds: 5) { h.events.contains { $0.hasPrefix("fenced") } }
        #expect(h.events.contains { $0.hasPrefix("fenced") }, "\(h.events)")
        #expect(access(path, F_OK) != 0, "the given-up lease's deadline file is gone")
    }

    @Test func aDoneMarkDeletesTheRunningKeyOnlyWhenItCameWithItsClaim() async throws {
        let etcd = try await EtcdCluster()
        defer { etcd.stop() }
        let h = try Harness(etcd)
        let member = h.joined(h.member("a"))
        #expect(member.mayClaim, "\(h.logged)")
        let running = member.keyspace.running("j")
        let first = try #require(Self.fence(h.claim(member, "j:1", runningKey: running)))
        // The running key goes and is put again with another claim (the first one's run
        // ended as far as the fleet knows, and another occurrence of the job runs).
        _ = h.call("/v3/kv/deleterange", EtcdRequests.delete(key: running))
        let second = try #require(Self.fence(h.claim(member, "j:2", runningKey: running)))
        #expect(second != first)

        member.finish("j:1", fence: first, value: FleetMember.json(["host": "a"]), runningKey: running)
        #expect(h.wait(for: member.keyspace.done("j:1")) != nil, "the done mark is written")
        #expect(h.key(member.keyspace.claim("j:1")) == nil, "and its claim deleted")
        #expect(h.key(running)?.createRevision == second, "the running key of the other claim stays")

        member.finish("j:2", fence: second, value: FleetMember.json(["host": "a"]), runningKey: running)
        #expect(h.wait(for: running, present: false) == nil, "the running key that came with the claim goes with it")
        #expect(h.key(member.keyspace.done("j:2")) != nil)
    }

    @Test func noClaimIsMadeOrWonPastTheLeasesDeadline() async throws {
        let etcd = try await EtcdCluster()
        defer { etcd.stop() }
        let h = try Harness(etcd)
        let member = h.joined(h.member("a"))
        #expect(member.mayClaim)
        // Resumed after a pause longer than the TTL, before any tick: no claim is made.
        h.skew = 20_000_000_000
        #expect(!member.mayClaim)
        #expect(member.waitReason?.contains("deadline") == true)
        h.skew = 0
        // The pause comes while the claim's answer is on its way: it is not won, the host fences itself.
        var answer: FleetMember.ClaimAnswer?
        member.claim("j:1", value: FleetMember.json(["host": "a"])) { answer = $0 }
        h.skew = 20_000_000_000
        h.loop.run(seconds: 10) { answer != nil }
        guard case .unavailable? = answer else { Issue.record("\(String(describing: answer))"); return }
        #expect(member.phase == .fenced)
        #expect(h.events.contains { $0.hasPrefix("fenced") })

        // Rejoined, then resumed past the deadline again: asked before its tick, it fences.
        h.events = []
        h.turn([member]) { member.mayClaim }
        #expect(!member.fenceIfPastDeadline())
        h.skew += 20_000_000_000
        #expect(member.fenceIfPastDeadline())
        #expect(member.phase == .fenced && h.events.contains { $0.hasPrefix("fenced") })
    }

    @Test func pruningMoreDoneMarksThanATxnMayHoldGoesInChunks() async throws {
        let etcd = try await EtcdCluster()
        defer { etcd.stop() }
        let h = try Harness(etcd)
        let member = h.member("a")
        // 300 done marks of job j (beyond etcd's 128 operations per txn): the first 295 in
        // txns of at most 100 puts, the newest 5 one by one (each its own revision).
        for start in stride(from: 0, to: 295, by: 100) {
            let puts = (start..<min(start + 100, 295)).map { EtcdOperation.put(key: member.keyspace.done("j:\($0)"), value: [], lease: 0) }
            #expect(h.call("/v3/kv/txn", EtcdRequests.txn(compare: [], success: puts, failure: [])) != nil)
        }
        for index in 295..<300 { _ = h.call("/v3/kv/put", EtcdRequests.put(key: member.keyspace.done("j:\(index)"), value: [], lease: 0)) }
        _ = h.call("/v3/kv/put", EtcdRequests.put(key: member.keyspace.done("k:1"), value: [], lease: 0))
        member.pruneDone(prefix: "j:", keep: 5)
        let deadline = Date().addingTimeInterval(10)
        while h.keys(member.keyspace.done("j:")).count > 5 && Date() < deadline { h.turn([member], seconds: 0.2) { false } }
        let left = h.keys(member.keyspace.done("j:")).map(\.key)
        #expect(left == (295..<300).map { member.keyspace.done("j:\($0)") }.sorted(), "the newest 5 stay")
        #expect(h.key(member.keyspace.done("k:1")) != nil, "another job's marks stay")
        #expect(!h.logged.contains("fleet_prune_failed"))
    }

    @Test func claimUpdatesLandInOrderAndOneEtcdMissedIsSentAgain() async throws {
        let etcd = try await EtcdCluster()
        defer { etcd.stop() }
        let h = try Harness(etcd)
        // A TTL long enough that etcd's restart below (seconds on a loaded machine) does not
        // take the member past its lease's deadline: that would drop its updates, rightly.
        // What was owed goes as soon as etcd answers again, not at the next renewal.
        let member = h.joined(h.member("a", ttl: .seconds(60)))
        let fence = try #require(Self.fence(h.claim(member, "j:1")))
        let key = member.keyspace.claim("j:1")
        func value(_ text: String) -> [UInt8] { FleetMember.json(["host": "a", "v": text]) }
        // Three values in a row: one on its way at a time, the latest last.
        for text in ["1", "2", "3"] { member.update("j:1", fence: fence, value: value(text)) }
        h.turn([member]) { member.owedUpdateCount == 0 }
        #expect(h.key(key)?.value == value("3"))
        #expect(h.key(key)?.lease == member.lease)

        // A write this member did not see (as a late copy of an earlier update would be):
        // the next update finds the claim changed, reads it and writes its value over it.
        _ = h.call("/v3/kv/put", EtcdRequests.put(key: key, value: value("late"), lease: member.lease))
        member.update("j:1", fence: fence, value: value("4"))
        h.turn([member]) { member.owedUpdateCount == 0 }
        #expect(h.key(key)?.value == value("4"))

        // etcd does not answer: the update is kept and sent again once it does.
        etcd.stop(member: 0)
        member.update("j:1", fence: fence, value: value("5"))
        h.turn([member], seconds: 3) { false }
        #expect(member.owedUpdateCount == 1)
        try await etcd.restart(member: 0)
        h.turn([member], seconds: 15) { member.owedUpdateCount == 0 }
        #expect(member.owedUpdateCount == 0, "\(h.logged)")
        #expect(h.key(key)?.value == value("5"))

        // A claim that is done is not updated (nor put again).
        member.finish("j:1", fence: fence, value: value("done"))
        h.wait(for: member.keyspace.done("j:1"))
        member.update("j:1", fence: fence, value: value("6"))
        h.turn([member]) { member.owedUpdateCount == 0 }
        #expect(h.key(key) == nil)
    }
}
