import Foundation
import Testing
import TestSupport

/// A fleet of hosts on a real etcd (SPEC section 13): real `jobdir run` daemons, each with
/// its own state directory and `--host`, on one jobs directory.
@Suite(.serialized, .enabled(if: EtcdCluster.unavailable == nil, "\(EtcdCluster.unavailable ?? "")"))
struct FleetTests {
    /// One jobs directory, one state directory per host, one etcd.
    final class Fleet: @unchecked Sendable {
        let dir: TemporaryDirectory
        let etcd: EtcdCluster
        var daemons: [String: DaemonProcess] = [:]
        var jobs: String { dir.url("jobs") }

        init(members: Int = 1) async throws {
            dir = try TemporaryDirectory("jobdir-fleet")
            try FileManager.default.createDirectory(atPath: dir.url("jobs"), withIntermediateDirectories: true)
            etcd = try await EtcdCluster(size: members)
        }

        func job(_ name: String, _ text: String) throws { _ = try dir.write("jobs/" + name, text) }
        func state(_ host: String) -> String { dir.url("state-" + host) }
        func files(_ host: String) -> StateFiles { StateFiles(state(host)) }

        @discardableResult
        func start(_ host: String, labels: [String] = [], extra: [String] = []) throws -> DaemonProcess {
            let daemon = try DaemonProcess(jobs: jobs, state: state(host), arguments:
                ["--fleet", etcd.endpoints, "--fleet-name", "test", "--host", host] + labels.flatMap { ["--host-label", $0] } + extra)
            daemons[host] = daemon
            return daemon
        }

        /// Whether `host` holds a lease (its fleet.json says so).
        func joined(_ host: String) -> Bool { files(host).json("fleet.json")?["phase"] as? String == "member" }

        /// The slot times (`scheduled_for`) of `job`'s records in `state` on `host`.
        func slots(_ host: String, _ job: String, state: String = "succeeded") -> [String] {
            files(host).executions(job, state: state).compactMap { ($0["trigger"] as? [String: Any])?["scheduled_for"] as? String }
        }

        func logs() -> String { daemons.sorted { $0.key < $1.key }.map { "--- \($0.key)\n\($0.value.log)" }.joined(separator: "\n") }

        func stop() {
            for daemon in daemons.values { daemon.stop() }
            etcd.stop()
            dir.remove()
        }
    }

    /// Consecutive whole seconds between the first and the last slot, as RFC 3339 strings.
    static func gaps(_ slots: [String]) -> [String] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let times = Set(slots.compactMap { formatter.date(from: $0)?.timeIntervalSince1970 })
        guard let first = times.min(), let last = times.max() else { return [] }
        return stride(from: first, through: last, by: 1).filter { !times.contains($0) }.map { formatter.string(from: Date(timeIntervalSince1970: $0)) }
    }

    @Test func threeHostsRunEachOnceSlotExactlyOnceAndEachEverySlotEverywhere() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        try fleet.job("once.yaml", "command: 'echo $JOBDIR_FENCE'\nschedule: '* * * * * *'\n")
        try fleet.job("each.yaml", "command: 'true'\nschedule: '* * * * * *'\nfleet: every\n")
        let hosts = ["a", "b", "c"]
        for host in hosts { try fleet.start(host) }
        #expect(await waitUntil(timeout: .seconds(15)) { hosts.allSatisfy(fleet.joined) }, "\(fleet.logs())")
        // About 15 slots with all three up.
        #expect(await waitUntil(timeout: .seconds(40)) { hosts.reduce(0) { $0 + fleet.slots($1, "once").count } >= 16 })
        for host in hosts { #expect(fleet.daemons[host]?.stop() == 0) }

        let once = hosts.flatMap { fleet.slots($0, "once") }
        let doubled = Dictionary(grouping: once, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        let lost = Self.gaps(once)
        print("fleet once: \(Set(once).count) slots run, \(doubled.count) doubled, \(lost.count) lost; per host \(hosts.map { "\($0)=\(fleet.slots($0, "once").count)" })")
        #expect(doubled.isEmpty, "slots run by two hosts: \(doubled)")
        #expect(lost.isEmpty, "slots no host ran: \(lost)")
        #expect(hosts.filter { !fleet.slots($0, "once").isEmpty }.count >= 2, "the slots are shared out, not all run by one host")
        // The fence is the claim's create revision, a positive number, given to the run.
        let record = try #require(fleet.files("a").executions("once").first ?? fleet.files("b").executions("once").first)
        let fence = try #require((record["trigger"] as? [String: Any])?["fence"] as? Int)
        #expect(fence > 0)
        #expect(fleet.files("a").log(record) == "\(fence)\n" || fleet.files("b").log(record) == "\(fence)\n")

        for host in hosts {
            let each = fleet.slots(host, "each")
            #expect(Set(each).count == each.count, "\(host) ran an `every` slot twice")
            #expect(each.count >= 10, "\(host) ran \(each.count) `every` slots")
            #expect(Self.gaps(each).isEmpty, "\(host) missed `every` slots \(Self.gaps(each))")
        }
    }

    @Test func aSelectorRunsTheJobOnlyOnTheHostsItNames() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        try fleet.job("vacuum.yaml", "command: 'true'\nschedule: '* * * * * *'\nhosts: {role: db}\n")
        try fleet.job("report.yaml", "command: 'true'\nschedule: '* * * * * *'\nfleet: every\nhosts: {role: db}\n")
        try fleet.start("db1", labels: ["role=db"])
        try fleet.start("web1", labels: ["role=web"])
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.joined("db1") && fleet.joined("web1") })
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.slots("db1", "vacuum").count >= 4 && fleet.slots("db1", "report").count >= 4 }, "\(fleet.logs())")
        #expect(fleet.files("web1").executions("vacuum").isEmpty)
        #expect(fleet.files("web1").executions("report").isEmpty)
        #expect(fleet.daemons["web1"]?.log.contains("not_for_this_host job=vacuum") == true)
    }

    @Test func withEtcdDownEveryJobsGoOnAndOnceJobsWaitThenResume() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        try fleet.job("once.yaml", "command: 'true'\nschedule: '* * * * * *'\n")
        try fleet.job("each.yaml", "command: 'true'\nschedule: '* * * * * *'\nfleet: every\n")
        let daemon = try fleet.start("a")
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.slots("a", "once").count >= 2 }, "\(daemon.log)")
        fleet.etcd.stop(member: 0)
        let stoppedAt = Date()
        // `once` stops within a slot or two; `every` goes on.
        #expect(await waitUntil(timeout: .seconds(10)) {
            (fleet.files("a").json("fleet.json")?["waiting"] as? [Any])?.isEmpty == false
        }, "\(daemon.log)")
        let onceBefore = fleet.slots("a", "once").count, eachBefore = fleet.slots("a", "each").count
        #expect(await waitUntil(timeout: .seconds(10)) { fleet.slots("a", "each").count >= eachBefore + 3 })
        #expect(fleet.slots("a", "once").count <= onceBefore + 1, "once slots ran with etcd down")
        let status = try ProcessRunner.jobdir(["status", "--jobs", fleet.jobs, "--state", fleet.state("a")])
        #expect(status.stdout.contains("waiting for etcd") || status.stdout.contains("etcd did not answer"), "\(status.stdout)")
        #expect(status.stdout.contains("once:cron:"), "the waiting occurrence is named: \(status.stdout)")
        print("fleet etcd down: \(fleet.slots("a", "each").count - eachBefore) every slots ran in \(String(format: "%.1f", Date().timeIntervalSince(stoppedAt))) s, once waited")

        try await fleet.etcd.restart(member: 0)
        let onceDown = fleet.slots("a", "once").count
        #expect(await waitUntil(timeout: .seconds(20)) { fleet.slots("a", "once").count >= onceDown + 3 }, "once resumes: \(daemon.log)")
        #expect(await waitUntil(timeout: .seconds(5)) { (fleet.files("a").json("fleet.json")?["waiting"] as? [Any])?.isEmpty == true })
    }
}
