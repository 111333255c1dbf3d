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
        func start(_ host: String, labels: [String] = [], ttl: String = "10s", extra: [String] = []) throws -> DaemonProcess {
            let daemon = try DaemonProcess(jobs: jobs, state: state(host), arguments:
                ["--fleet", etcd.endpoints, "--fleet-name", "test", "--host", host, "--fleet-ttl", ttl, "--shutdown-grace", "1s"] + labels.flatMap { ["--host-label", $0] } + extra)
            daemons[host] = daemon
            return daemon
        }

        /// Whether `host` holds a lease (its fleet.json says so).
        func joined(_ host: String) -> Bool { files(host).json("fleet.json")?["phase"] as? String == "member" }

        /// The slot times (`scheduled_for`) of `job`'s records in `state` on `host`.
        func slots(_ host: String, _ job: String, state: String = "succeeded") -> [String] {
            files(host).executions(job, state: state).compactMap { ($0["trigger"] as? [String: Any])?["scheduled_for"] as? String }
        }

        /// The keys under `prefix` of the fleet's keyspace (`/jobdir/test/<prefix>`), as etcd has them now.
        /// The values of the keys under `prefix`, as JSON objects, as etcd has them now.
        func values(_ prefix: String) -> [[String: Any]] {
            let start = Array("/jobdir/test/\(prefix)".utf8)
            var end = start
            end[end.count - 1] += 1
            let body = "{\"key\":\"\(Data(start).base64EncodedString())\",\"range_end\":\"\(Data(end).base64EncodedString())\"}"
            guard let result = try? ProcessRunner.run("/usr/bin/curl", ["-s", "-m", "2", etcd.members[0].clientURL + "/v3/kv/range", "-d", body]),
                  let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else { return [] }
            return (object["kvs"] as? [[String: Any]] ?? []).compactMap { ($0["value"] as? String).flatMap { Data(base64Encoded: $0) } }
                .compactMap { (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any] }
        }

        func keys(_ prefix: String) -> [String] {
            let start = Array("/jobdir/test/\(prefix)".utf8)
            var end = start
            end[end.count - 1] += 1
            let body = "{\"key\":\"\(Data(start).base64EncodedString())\",\"range_end\":\"\(Data(end).base64EncodedString())\",\"keys_only\":true}"
            guard let result = try? ProcessRunner.run("/usr/bin/curl", ["-s", "-m", "2", etcd.members[0].clientURL + "/v3/kv/range", "-d", body]),
                  let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else { return ["?"] }
            return (object["kvs"] as? [[String: Any]] ?? []).compactMap { ($0["key"] as? String).flatMap { Data(base64Encoded: $0) } }
                .map { String(decoding: $0, as: UTF8.self) }.sorted()
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
        // `hosts:` selectors: only c is labelled role=db.
        try fleet.job("vacuum.yaml", "command: 'true'\nschedule: '* * * * * *'\nhosts: {role: db}\n")
        try fleet.job("report.yaml", "command: 'true'\nschedule: '* * * * * *'\nfleet: every\nhosts: {role: db}\n")
        let hosts = ["a", "b", "c"]
        for host in hosts { try fleet.start(host, labels: host == "c" ? ["role=db"] : ["role=web"]) }
        #expect(await waitUntil(timeout: .seconds(15)) { hosts.allSatisfy(fleet.joined) }, "\(fleet.logs())")
        // 30 s of slots (31 slots, first to last) with all three up.
        #expect(await waitUntil(timeout: .seconds(60)) { hosts.reduce(0) { $0 + fleet.slots($1, "once").count } >= 31 }, "\(fleet.logs())")

        // `status --fleet` shows the hosts with their leases and who ran the recent occurrences.
        let status = try ProcessRunner.jobdir(["status", "--fleet", "--json", "--jobs", fleet.jobs, "--state", fleet.state("b")])
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any], "\(status.stderr)")
        let shownHosts = (shown["hosts"] as? [[String: Any]] ?? []).compactMap { $0["host"] as? String }
        #expect(shownHosts == hosts)
        #expect((shown["hosts"] as? [[String: Any]])?.allSatisfy { ($0["lease_ttl_left_s"] as? Int ?? 0) > 0 } == true)
        let done = shown["recent_done"] as? [[String: Any]] ?? []
        #expect(!done.isEmpty && done.allSatisfy { hosts.contains($0["host"] as? String ?? "") && $0["state"] as? String == "succeeded" })
        let text = try ProcessRunner.jobdir(["status", "--fleet", "--jobs", fleet.jobs, "--state", fleet.state("b")])
        #expect(text.stdout.contains("hosts (3):") && text.stdout.contains("recently done"), "\(text.stdout)")

        // Claim latency, from the daemons' `claimed` lines.
        let latencies = fleet.logs().split(separator: "\n").compactMap { line -> Double? in
            guard line.contains(" claimed "), let field = line.split(separator: " ").first(where: { $0.hasPrefix("claim_ms=") }) else { return nil }
            return Double(field.dropFirst("claim_ms=".count))
        }.sorted()
        if !latencies.isEmpty {
            print("fleet claim latency: p50 \(latencies[latencies.count / 2]) ms, p99 \(latencies[min(latencies.count - 1, latencies.count * 99 / 100)]) ms over \(latencies.count) claims won")
        }
        for host in hosts { #expect(fleet.daemons[host]?.stop() == 0) }
        // Trigger to start (scheduled_for → started_at): once jobs claim first, every jobs do not.
        func delays(_ job: String) -> [Double] {
            hosts.flatMap { fleet.files($0).executions(job, state: "succeeded") }.compactMap { record -> Double? in
                let formatter = ISO8601DateFormatter.withMilliseconds
                guard let due = ((record["trigger"] as? [String: Any])?["scheduled_for"] as? String).flatMap(formatter.date(from:)),
                      let started = (record["started_at"] as? String).flatMap(formatter.date(from:)) else { return nil }
                return started.timeIntervalSince(due) * 1000
            }.sorted()
        }
        let onceDelays = delays("once"), eachDelays = delays("each")
        if !onceDelays.isEmpty && !eachDelays.isEmpty {
            func figure(_ values: [Double]) -> String {
                String(format: "p50 %.1f ms, p99 %.1f ms", values[values.count / 2], values[min(values.count - 1, values.count * 99 / 100)])
            }
            print("fleet trigger to start: once (claimed) \(figure(onceDelays)); every (no claim) \(figure(eachDelays))")
        }

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

        #expect(Set(once).count >= 31, "30 s of slots: \(Set(once).count) run")
        #expect(fleet.slots("c", "vacuum").count >= 25 && fleet.slots("c", "report").count >= 25, "\(fleet.logs())")
        for host in ["a", "b"] {
            #expect(fleet.files(host).executions("vacuum").isEmpty && fleet.files(host).executions("report").isEmpty, "\(host) is not role=db")
            #expect(fleet.daemons[host]?.log.contains("not_for_this_host job=vacuum") == true)
        }
        for host in hosts {
            let each = fleet.slots(host, "each")
            #expect(Set(each).count == each.count, "\(host) ran an `every` slot twice")
            #expect(each.count >= 25, "\(host) ran \(each.count) `every` slots")
            #expect(Self.gaps(each).isEmpty, "\(host) missed `every` slots \(Self.gaps(each))")
        }
    }

    @Test func losingTheFirstEtcdMemberOfThreeLosesAndDoublesNoSlot() async throws {
        let fleet = try await Fleet(members: 3)
        defer { fleet.stop() }
        try fleet.job("once.yaml", "command: 'true'\nschedule: '* * * * * *'\n")
        let hosts = ["a", "b"]
        for host in hosts { try fleet.start(host) }
        #expect(await waitUntil(timeout: .seconds(15)) { hosts.reduce(0) { $0 + fleet.slots($1, "once").count } >= 3 }, "\(fleet.logs())")
        // The first endpoint of every host's list goes away (SIGKILL); the others carry on.
        fleet.etcd.stop(member: 0, kill: true)
        let before = hosts.reduce(0) { $0 + fleet.slots($1, "once").count }
        #expect(await waitUntil(timeout: .seconds(20)) { hosts.reduce(0) { $0 + fleet.slots($1, "once").count } >= before + 3 }, "\(fleet.logs())")
        for host in hosts { fleet.daemons[host]?.stop() }
        let once = hosts.flatMap { fleet.slots($0, "once") }
        // A slot due while etcd elects a new leader may find the job's fleet-wide running key
        // still held: the done mark of the run before could not be committed yet. It is
        // claimed and recorded `skipped` once (overlap: skip); it is accounted for, not lost.
        let skipped = hosts.flatMap { host in
            fleet.files(host).executions("once", state: "skipped").filter { ($0["error"] as? [String: Any])?["kind"] as? String == "overlap" }
                .compactMap { ($0["trigger"] as? [String: Any])?["scheduled_for"] as? String }
        }
        let doubled = Dictionary(grouping: once + skipped, by: { $0 }).filter { $0.value.count > 1 }.count
        let lost = Self.gaps(once + skipped)
        print("fleet member loss (3 etcd members, first killed): \(Set(once).count) slots run, \(skipped.count) skipped (overlap), \(doubled) doubled, \(lost.count) lost")
        #expect(doubled == 0, "\(fleet.logs())")
        #expect(lost.isEmpty, "slots no host ran or recorded: \(lost)\n\(fleet.logs())")
    }

    @Test func aDaemonRestartedWithDetachKeepsItsLeaseAndItsRunsClaims() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let first = try fleet.start("a", ttl: "3s", extra: ["--on-stop", "detach"])
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.joined("a") })
        let lease = fleet.files("a").json("fleet.json")?["lease"] as? String
        try fleet.job("slow.yaml", "command: 'sleep 3; echo done'\nat: '\(Self.soon(1))'\n")
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.files("a").executions("slow", state: "running").first?["pid"] is Int })
        // An upgrade's restart: the old daemon leaves the run to its supervisor, a new one
        // comes up on the same state directory and takes the same lease up again.
        kill(first.pid, SIGTERM)
        first.stop()
        try fleet.start("a", ttl: "3s")
        #expect(await waitUntil(timeout: .seconds(15)) { !fleet.files("a").executions("slow", state: "succeeded").isEmpty }, "\(fleet.logs())")
        let adopted = fleet.daemons["a"]?.log.split(separator: "\n").first { $0.contains(" fleet_lease_adopted ") }
        #expect(adopted?.contains("lease=\(lease ?? "?")") == true, "\(fleet.logs())")
        let record = try #require(fleet.files("a").executions("slow").first)
        #expect(fleet.files("a").log(record) == "done\n", "the run went on past the restart, longer than the old lease's deadline")
        // Its done mark is written by the new daemon.
        #expect(await waitUntil(timeout: .seconds(10)) {
            let status = try? ProcessRunner.jobdir(["status", "--fleet", "--json", "--jobs", fleet.jobs, "--state", fleet.state("a")])
            let done = ((try? JSONSerialization.jsonObject(with: Data((status?.stdout ?? "").utf8))) as? [String: Any])?["recent_done"] as? [[String: Any]]
            return done?.contains { $0["execution"] as? String == record["id"] as? String && $0["state"] as? String == "succeeded" } == true
        })
    }

    @Test func aRunThatEndedWhileNoDaemonRanIsMarkedDoneByTheNextOne() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let first = try fleet.start("a", extra: ["--on-stop", "detach"])
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.joined("a") })
        try fleet.job("short.yaml", "command: 'sleep 1; echo done'\nat: '\(Self.soon(1))'\n")
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.files("a").executions("short", state: "running").first?["pid"] is Int })
        kill(first.pid, SIGTERM)
        first.stop()
        // The run ends while no daemon runs; its claim and the job's running key stay on the lease.
        let id = try #require(fleet.files("a").executions("short").first?["id"] as? String)
        #expect(await waitUntil(timeout: .seconds(5)) { FileManager.default.fileExists(atPath: fleet.state("a") + "/executions/short/\(id).outcome") })
        #expect(fleet.keys("running/") == ["/jobdir/test/running/short"])
        // The next daemon adopts the lease and collects the outcome: the occurrence is done,
        // its claim and the running key go (else the job's next occurrences would be skipped).
        try fleet.start("a")
        #expect(await waitUntil(timeout: .seconds(15)) { !fleet.files("a").executions("short", state: "succeeded").isEmpty }, "\(fleet.logs())")
        #expect(await waitUntil(timeout: .seconds(10)) { fleet.keys("done/").count == 1 }, "\(fleet.logs())")
        #expect(fleet.keys("claims/").isEmpty && fleet.keys("running/").isEmpty, "\(fleet.keys(""))\n\(fleet.logs())")
    }

    @Test func aDoneMarkEtcdDidNotTakeBeforeAStopIsWrittenByTheNextDaemon() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        try fleet.start("a")
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.joined("a") })
        try fleet.job("short.yaml", "command: 'sleep 2'\nat: '\(Self.soon(1))'\n")
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.files("a").executions("short", state: "running").first?["pid"] is Int })
        // etcd goes away while it runs: its done mark cannot be written when it ends.
        fleet.etcd.stop(member: 0)
        #expect(await waitUntil(timeout: .seconds(10)) { !fleet.files("a").executions("short", state: "succeeded").isEmpty }, "\(fleet.logs())")
        #expect(await waitUntil(timeout: .seconds(5)) { (fleet.files("a").json("fleet.json")?["owed_finishes"] as? [Any])?.count == 1 })
        fleet.daemons["a"]?.stop()
        try await fleet.etcd.restart(member: 0)
        #expect(fleet.keys("done/").isEmpty)
        // The next daemon sends it: the occurrence is done, its claim and the running key go.
        try fleet.start("a")
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.keys("done/").count == 1 }, "\(fleet.logs())")
        #expect(fleet.keys("claims/").isEmpty && fleet.keys("running/").isEmpty, "\(fleet.keys(""))")
    }

    @Test func doneMarksArePrunedWithHistory() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        try fleet.job("tick.yaml", "command: 'true'\nschedule: '* * * * * *'\nhistory: {keep: 1}\n")
        try fleet.start("a")
        let succeeded = { ((fleet.files("a").result("tick")?["counts"] as? [String: Any])?["succeeded"] as? Int) ?? 0 }
        #expect(await waitUntil(timeout: .seconds(20)) { succeeded() >= 4 }, "\(fleet.logs())")
        let status = try ProcessRunner.jobdir(["status", "--fleet", "--json", "--jobs", fleet.jobs, "--state", fleet.state("a")])
        let done = ((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["recent_done"] as? [[String: Any]] ?? [])
            .filter { ($0["occurrence"] as? String ?? "").hasPrefix("tick:") }
        // Pruned to the newest `keep` after every `keep` finishes: never more than 2 × keep.
        #expect((1...2).contains(done.count), "\(succeeded()) runs, \(done.count) done marks left")
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
        let fleetStatus = try ProcessRunner.jobdir(["status", "--fleet", "--jobs", fleet.jobs, "--state", fleet.state("a")])
        #expect(fleetStatus.status == 1 && fleetStatus.stderr.contains("etcd did not answer"), "\(fleetStatus.stderr)")
        print("fleet etcd down: \(fleet.slots("a", "each").count - eachBefore) every slots ran in \(String(format: "%.1f", Date().timeIntervalSince(stoppedAt))) s, once waited")

        try await fleet.etcd.restart(member: 0)
        let onceDown = fleet.slots("a", "once").count
        #expect(await waitUntil(timeout: .seconds(20)) { fleet.slots("a", "once").count >= onceDown + 3 }, "once resumes: \(daemon.log)")
        #expect(await waitUntil(timeout: .seconds(5)) { (fleet.files("a").json("fleet.json")?["waiting"] as? [Any])?.isEmpty == true })
    }

    @Test func withAllThreeEtcdMembersDownEveryJobsGoOnAndOnceJobsWaitThenResumeUndoubled() async throws {
        let fleet = try await Fleet(members: 3)
        defer { fleet.stop() }
        try fleet.job("once.yaml", "command: 'true'\nschedule: '* * * * * *'\n")
        try fleet.job("each.yaml", "command: 'true'\nschedule: '* * * * * *'\nfleet: every\n")
        let hosts = ["a", "b"]
        for host in hosts { try fleet.start(host) }
        let onceRun = { hosts.reduce(0) { $0 + fleet.slots($1, "once").count } }
        #expect(await waitUntil(timeout: .seconds(20)) { onceRun() >= 3 }, "\(fleet.logs())")
        for member in fleet.etcd.members.indices { fleet.etcd.stop(member: member) }
        let stoppedAt = Date()
        // Each host's `once` slots wait (named, with the reason) within a slot or two; `every` goes on.
        #expect(await waitUntil(timeout: .seconds(10)) {
            hosts.allSatisfy { (fleet.files($0).json("fleet.json")?["waiting"] as? [Any])?.isEmpty == false }
        }, "\(fleet.logs())")
        let onceBefore = onceRun(), eachBefore = hosts.map { fleet.slots($0, "each").count }
        #expect(await waitUntil(timeout: .seconds(10)) { zip(hosts, eachBefore).allSatisfy { fleet.slots($0, "each").count >= $1 + 3 } }, "\(fleet.logs())")
        #expect(onceRun() <= onceBefore + hosts.count, "once slots ran with etcd down")
        for host in hosts {
            let status = try ProcessRunner.jobdir(["status", "--jobs", fleet.jobs, "--state", fleet.state(host)])
            #expect(status.stdout.contains("waiting for etcd") || status.stdout.contains("etcd did not answer"), "\(host): \(status.stdout)")
            #expect(status.stdout.contains("once:cron:"), "the waiting occurrence is named: \(status.stdout)")
        }
        // Down past the leases' deadlines: each host fences itself (and rejoins on a new lease
        // once etcd is back, with the old leases' claims still there until they expire).
        #expect(await waitUntil(timeout: .seconds(20)) {
            hosts.allSatisfy { (fleet.files($0).json("fleet.json")?["fencings"] as? Int ?? 0) >= 1 }
        }, "\(fleet.logs())")
        #expect(onceRun() <= onceBefore + hosts.count, "once slots ran with etcd down")
        let eachDown = zip(hosts, eachBefore).map { fleet.slots($0, "each").count - $1 }
        let downFor = Date().timeIntervalSince(stoppedAt)

        try await fleet.etcd.restart(members: Array(fleet.etcd.members.indices))
        let onceDown = onceRun()
        #expect(await waitUntil(timeout: .seconds(30)) { onceRun() >= onceDown + 3 }, "once resumes: \(fleet.logs())")
        #expect(await waitUntil(timeout: .seconds(10)) {
            hosts.allSatisfy { (fleet.files($0).json("fleet.json")?["waiting"] as? [Any])?.isEmpty == true }
        }, "\(fleet.logs())")
        for host in hosts { fleet.daemons[host]?.stop() }
        let once = hosts.flatMap { fleet.slots($0, "once") }
        // Slots due while the claims and running keys of the leases before the outage were
        // still in etcd are recorded `skipped` once (overlap: skip): accounted for, not lost.
        let skipped = hosts.flatMap { host in
            fleet.files(host).executions("once", state: "skipped").filter { ($0["error"] as? [String: Any])?["kind"] as? String == "overlap" }
                .compactMap { ($0["trigger"] as? [String: Any])?["scheduled_for"] as? String }
        }
        let doubled = Dictionary(grouping: once + skipped, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        let lost = Self.gaps(once + skipped)
        print("fleet all 3 etcd members down \(String(format: "%.1f", downFor)) s: every slots ran meanwhile per host \(eachDown); once: \(Set(once).count) slots run, \(skipped.count) skipped (overlap), \(doubled.count) doubled, \(lost.count) lost (waited past their 60 s or canceled when fenced)")
        #expect(doubled.isEmpty, "slots run by two hosts: \(doubled)\n\(fleet.logs())")
    }

    /// An `at` time a few seconds from now, in whole seconds.
    static func soon(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + seconds).rounded(.up)))
    }

    /// `/proc/PID/stat`'s parent pid.
    static func parent(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// The host whose record of `job` is running with its command's pid, and that record.
    static func runningHost(_ fleet: Fleet, _ job: String, among hosts: [String]) async -> (String, [String: Any])? {
        var found: (String, [String: Any])?
        _ = await waitUntil(timeout: .seconds(20)) {
            for host in hosts {
                if let record = fleet.files(host).executions(job, state: "running").first, record["pid"] is Int { found = (host, record) }
            }
            return found != nil
        }
        return found
    }

    /// The whole host dies: its daemon, the run's supervisor and the command, all SIGKILLed.
    static func killHost(_ fleet: Fleet, _ host: String, commandPID: Int32) {
        let supervisor = parent(of: commandPID)
        if let daemon = fleet.daemons[host] { kill(daemon.pid, SIGKILL); daemon.stop() }
        if let supervisor, supervisor > 1 { kill(supervisor, SIGKILL) }
        kill(-commandPID, SIGKILL)
        kill(commandPID, SIGKILL)
    }

    /// Hosts a and b with a 3 s lease; `job` (given its `at` time) runs on one of them:
    /// that host and its running record.
    static func runningOnOneOfTwo(_ fleet: Fleet, _ job: String, _ text: (String) -> String) async throws -> (host: String, other: String, record: [String: Any]) {
        for host in ["a", "b"] { try fleet.start(host, ttl: "3s") }
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.joined("a") && fleet.joined("b") })
        try fleet.job(job + ".yaml", text(soon(1)))
        let (host, record) = try #require(await runningHost(fleet, job, among: ["a", "b"]), "\(fleet.logs())")
        return (host, host == "a" ? "b" : "a", record)
    }

    @Test func aDeadHostsStartedRunIsRerunElsewhereWhenRetriesAllow() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let (dead, survivor, record) = try await Self.runningOnOneOfTwo(fleet, "slow") { "command: 'sleep 5'\nat: '\($0)'\nretries: {max: 1, backoff: 1s}\n" }
        let killedAt = Date()
        Self.killHost(fleet, dead, commandPID: Int32(record["pid"] as! Int))
        // The lease (3 s) expires, the survivor takes the occurrence as attempt 2 and runs it to its end.
        #expect(await waitUntil(timeout: .seconds(25)) { !fleet.files(survivor).executions("slow", state: "succeeded").isEmpty }, "\(fleet.logs())")
        let rerun = try #require(fleet.files(survivor).executions("slow").first)
        #expect(rerun["attempt"] as? Int == 2)
        #expect(rerun["occurrence"] as? String == record["occurrence"] as? String)
        #expect((rerun["trigger"] as? [String: Any])?["taken_over_from"] as? String == dead)
        let startedAt = (rerun["started_at"] as? String).flatMap { ISO8601DateFormatter.withMilliseconds.date(from: $0) }
        print("fleet kill -9: rerun started \(String(format: "%.1f", startedAt.map { $0.timeIntervalSince(killedAt) } ?? -1)) s after the kill; 1 slot, 0 doubled, 0 lost")

        // The dead host comes back: its own record ends interrupted; its retry is not claimed (the occurrence is done).
        try fleet.start(dead, ttl: "3s")
        #expect(await waitUntil(timeout: .seconds(15)) { !fleet.files(dead).executions("slow", state: "interrupted").isEmpty }, "\(fleet.logs())")
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.daemons[dead]?.log.contains("retry_not_claimed job=slow") == true }, "\(fleet.logs())")
        #expect(fleet.files(dead).executions("slow").count == 1, "the returning host does not run it again")
    }

    @Test func aDeadHostsRetryThatStartedCountsAsItsAttempt() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let marker = fleet.dir.url("failed-once")
        // Attempt 1 fails at once; attempt 2 (the last `retries` allow) runs long.
        let (dead, survivor, record) = try await Self.runningOnOneOfTwo(fleet, "flaky") {
            "command: 'if [ -e \(marker) ]; then sleep 8; else touch \(marker); sleep 0.3; exit 1; fi'\nat: '\($0)'\nretries: {max: 1, backoff: 1s}\n"
        }
        _ = record
        var second: [String: Any]?
        #expect(await waitUntil(timeout: .seconds(15)) {
            second = fleet.files(dead).executions("flaky", state: "running").first { $0["attempt"] as? Int == 2 && $0["pid"] is Int }
            return second != nil
        }, "\(fleet.logs())")
        // The claim says attempt 2 (rewritten when it started) before the host dies.
        #expect(await waitUntil(timeout: .seconds(10)) {
            fleet.values("claims/").contains { $0["job"] as? String == "flaky" && $0["attempt"] as? Int == 2 }
        }, "\(fleet.logs())")
        Self.killHost(fleet, dead, commandPID: Int32(try #require(second?["pid"] as? Int)))
        // Its claim said attempt 2 had started: with no retry left, the survivor does not run it.
        #expect(await waitUntil(timeout: .seconds(20)) { fleet.daemons[survivor]?.log.contains("takeover_refused job=flaky") == true }, "\(fleet.logs())")
        #expect(fleet.files(survivor).executions("flaky").isEmpty, "\(fleet.logs())")
    }

    /// Hosts a and b (TTL 3 s); a `gated` job's occurrence is claimed by one of them and
    /// waits there for a person: it has not started, and its claim says so (rewritten right
    /// after the claim, which says started). Returns that host and the other one.
    static func gatedOccurrenceClaimedOnOneOfTwo(_ fleet: Fleet) async throws -> (holder: String, other: String) {
        for host in ["a", "b"] { try fleet.start(host, ttl: "3s") }
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.joined("a") && fleet.joined("b") })
        try fleet.job("gated.yaml", "command: 'true'\nat: '\(Self.soon(1))'\napproval: required\n")
        var holder: String?
        #expect(await waitUntil(timeout: .seconds(15)) {
            holder = ["a", "b"].first { !fleet.files($0).executions("gated", state: "awaiting_approval").isEmpty }
            return holder != nil
        }, "\(fleet.logs())")
        let claimed = try #require(holder)
        #expect(await waitUntil(timeout: .seconds(10)) {
            let status = try? ProcessRunner.jobdir(["status", "--fleet", "--json", "--jobs", fleet.jobs, "--state", fleet.state(claimed)])
            let claims = ((try? JSONSerialization.jsonObject(with: Data((status?.stdout ?? "").utf8))) as? [String: Any])?["claims"] as? [[String: Any]]
            return claims?.first?["state"] as? String == "claimed"
        })
        return (claimed, claimed == "a" ? "b" : "a")
    }

    @Test func aDeadHostsOccurrenceThatNeverStartedIsTakenOver() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let (dead, survivor) = try await Self.gatedOccurrenceClaimedOnOneOfTwo(fleet)
        if let daemon = fleet.daemons[dead] { kill(daemon.pid, SIGKILL); daemon.stop() }
        // No retries, yet it is taken over: it never ran. It waits for approval on the survivor.
        #expect(await waitUntil(timeout: .seconds(15)) { !fleet.files(survivor).executions("gated", state: "awaiting_approval").isEmpty }, "\(fleet.logs())")
        let taken = try #require(fleet.files(survivor).executions("gated").first)
        #expect(taken["attempt"] as? Int == 1)
        #expect((taken["trigger"] as? [String: Any])?["taken_over_from"] as? String == dead)
    }

    @Test func aTakeoverEtcdDidNotAnswerIsAskedAgain() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let (dead, survivor) = try await Self.gatedOccurrenceClaimedOnOneOfTwo(fleet)
        if let daemon = fleet.daemons[dead] { kill(daemon.pid, SIGKILL); daemon.stop() }
        // The claim goes with the dead host's lease; etcd stops right then, before the
        // survivor's takeover (after a jitter of up to 1 s) is claimed: it waits for etcd
        // (the survivor fences itself meanwhile and rejoins), then takes the occurrence.
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.keys("claims/").isEmpty })
        fleet.etcd.stop(member: 0)
        #expect(await waitUntil(timeout: .seconds(15)) { !fleet.joined(survivor) }, "the survivor fences itself while etcd is away: \(fleet.logs())")
        try await fleet.etcd.restart(member: 0)
        #expect(await waitUntil(timeout: .seconds(20)) { !fleet.files(survivor).executions("gated", state: "awaiting_approval").isEmpty }, "\(fleet.logs())")
    }

    @Test func aDeadHostsStartedRunIsNeverRerunWithoutRetries() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let (dead, survivor, record) = try await Self.runningOnOneOfTwo(fleet, "slow") { "command: 'sleep 5'\nat: '\($0)'\n" }
        Self.killHost(fleet, dead, commandPID: Int32(record["pid"] as! Int))
        #expect(await waitUntil(timeout: .seconds(20)) { fleet.daemons[survivor]?.log.contains("takeover_refused job=slow") == true }, "\(fleet.logs())")
        #expect(fleet.files(survivor).executions("slow").isEmpty, "no retries: the survivor never reruns a started run")

        // The dead host comes back on its state directory: its record of the occurrence ends
        // interrupted (its run died with it), and it does not run it again either.
        try fleet.start(dead, ttl: "3s")
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.joined(dead) }, "\(fleet.logs())")
        #expect(await waitUntil(timeout: .seconds(15)) { !fleet.files(dead).executions("slow", state: "interrupted").isEmpty }, "\(fleet.logs())")
        let ended = try #require(fleet.files(dead).executions("slow").first)
        #expect(ended["id"] as? String == record["id"] as? String && ended["occurrence"] as? String == record["occurrence"] as? String)
        // Past another lease period of both hosts up, still nobody has rerun it.
        #expect(await waitUntil(timeout: .seconds(4)) { fleet.files(survivor).executions("slow").count + fleet.files(dead).executions("slow").count > 1 } == false,
                "\(fleet.logs())")
        let runs = ["a", "b"].map { fleet.files($0).executions("slow").count }.reduce(0, +)
        print("fleet kill -9 without retries: 1 slot, \(runs) run (\(fleet.files(dead).executions("slow", state: "interrupted").count) interrupted on the dead host), \(runs - 1) doubled, 0 lost")
        #expect(runs == 1, "\(fleet.logs())")
        #expect(fleet.files(survivor).executions("slow").isEmpty)
    }

    @Test func aFencedHostCancelsItsAwaitingApprovalOccurrenceAndTakesItBackOnItsNewLease() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        // A one-host fleet: nobody else can take the occurrence.
        let daemon = try fleet.start("a", ttl: "3s")
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.joined("a") })
        try fleet.job("gated.yaml", "command: 'true'\nat: '\(Self.soon(1))'\napproval: required\n")
        #expect(await waitUntil(timeout: .seconds(15)) { !fleet.files("a").executions("gated", state: "awaiting_approval").isEmpty }, "\(fleet.logs())")
        let first = try #require(fleet.files("a").executions("gated").first)
        #expect(await waitUntil(timeout: .seconds(10)) {
            let status = try? ProcessRunner.jobdir(["status", "--fleet", "--json", "--jobs", fleet.jobs, "--state", fleet.state("a")])
            let claims = ((try? JSONSerialization.jsonObject(with: Data((status?.stdout ?? "").utf8))) as? [String: Any])?["claims"] as? [[String: Any]]
            return claims?.first?["state"] as? String == "claimed"
        })
        // Paused past its lease: etcd ends the lease and the claim with it.
        kill(daemon.pid, SIGSTOP)
        let expired = await waitUntil(timeout: .seconds(15)) { fleet.keys("claims/").isEmpty }
        kill(daemon.pid, SIGCONT)
        #expect(expired, "\(fleet.keys(""))")
        // Back, it fences itself: the approval it waited for is canceled (approved later, it
        // would run on a claim gone); then, on its new lease, it takes its own lost claim.
        #expect(await waitUntil(timeout: .seconds(15)) { !fleet.files("a").executions("gated", state: "canceled").isEmpty }, "\(daemon.log)")
        let canceled = try #require(fleet.files("a").executions("gated", state: "canceled").first)
        #expect(canceled["id"] as? String == first["id"] as? String)
        let message = (canceled["error"] as? [String: Any])?["message"] as? String
        #expect(message?.hasPrefix("self-fenced: ") == true, "\(canceled)")
        #expect(await waitUntil(timeout: .seconds(15)) { !fleet.files("a").executions("gated", state: "awaiting_approval").isEmpty }, "\(daemon.log)")
        let taken = try #require(fleet.files("a").executions("gated", state: "awaiting_approval").first)
        #expect(taken["occurrence"] as? String == first["occurrence"] as? String && taken["attempt"] as? Int == 1)
        #expect((taken["trigger"] as? [String: Any])?["taken_over_from"] as? String == "a")
        let pending = fleet.files("a").executions("gated", state: "awaiting_approval").count
        print("fleet self-fenced awaiting approval: 1 slot, 1 canceled, \(pending) awaiting again on the new lease, \(max(0, pending - 1)) doubled, \(pending == 0 ? 1 : 0) lost")
        #expect(pending == 1)
    }

    @Test func aPausedHostsRunIsEndedByItsSupervisorBeforeAnotherHostTakesOver() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let ledger = fleet.dir.url("ledger")
        // Each run appends "FENCE NANOSECONDS" every 50 ms for about 8 s.
        let (paused, other, _) = try await Self.runningOnOneOfTwo(fleet, "long") { """
            command: 'i=0; while [ $i -lt 160 ]; do echo "$JOBDIR_FENCE $(date +%s%N)" >> \(ledger); sleep 0.05; i=$((i+1)); done'
            at: '\($0)'
            retries: {max: 1, backoff: 1s}
            """ }
        let daemon = try #require(fleet.daemons[paused])
        kill(daemon.pid, SIGSTOP)
        defer { kill(daemon.pid, SIGCONT) }
        #expect(await waitUntil(timeout: .seconds(25)) { fleet.files(other).executions("long", state: "running").first?["pid"] is Int }, "\(fleet.logs())")
        // Let the second run write a while, then read the ledger.
        #expect(await waitUntil(timeout: .seconds(10)) {
            let fences = Set(((try? String(contentsOfFile: ledger, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { $0.split(separator: " ").first })
            return fences.count >= 2 && ((try? String(contentsOfFile: ledger, encoding: .utf8)) ?? "").split(separator: "\n").count > 20
        })
        var spans: [Substring: (first: Int, last: Int)] = [:]
        for line in ((try? String(contentsOfFile: ledger, encoding: .utf8)) ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let time = Int(parts[1]) else { continue }
            let span = spans[parts[0]] ?? (time, time)
            spans[parts[0]] = (min(span.first, time), max(span.last, time))
        }
        let ordered = spans.values.sorted { $0.first < $1.first }
        #expect(ordered.count == 2, "two runs, each with its own fence: \(spans)")
        if ordered.count == 2 {
            let gap = Double(ordered[1].first - ordered[0].last) / 1e9
            print("fleet SIGSTOP: the paused host's run ended \(String(format: "%.2f", gap)) s before the other host's started; 0 overlap")
            #expect(gap > 0, "the runs overlapped by \(-gap) s")
        }
        kill(daemon.pid, SIGCONT)
        // Back, the paused daemon records its run as ended (its supervisor stopped it), not as
        // running; it has fenced itself (its deadline passed while it slept) and rejoined.
        #expect(await waitUntil(timeout: .seconds(15)) { fleet.files(paused).executions("long", state: "running").isEmpty }, "\(fleet.logs())")
        #expect(fleet.files(paused).executions("long", state: "canceled").count == 1, "\(fleet.logs())")
        #expect(await waitUntil(timeout: .seconds(10)) { daemon.log.contains("fleet_fenced") && fleet.joined(paused) }, "\(daemon.log)")
        let status = try ProcessRunner.jobdir(["status", "--jobs", fleet.jobs, "--state", fleet.state(paused)])
        #expect(status.stdout.contains("last self-fenced at"), "\(status.stdout)")
    }

    @Test func overlapSkipHoldsAcrossTheFleet() async throws {
        let fleet = try await Fleet()
        defer { fleet.stop() }
        let ledger = fleet.dir.url("ledger")
        // A 1.5 s run every second: with overlap: skip (the default) one runs at a time in the fleet.
        try fleet.job("slow.yaml", "command: 'echo \"$JOBDIR_FENCE start $(date +%s%N)\" >> \(ledger); sleep 1.5; echo \"$JOBDIR_FENCE end $(date +%s%N)\" >> \(ledger)'\nschedule: '* * * * * *'\n")
        for host in ["a", "b"] { try fleet.start(host) }
        let hosts = ["a", "b"]
        #expect(await waitUntil(timeout: .seconds(30)) { hosts.reduce(0) { $0 + fleet.slots($1, "slow").count } >= 3 }, "\(fleet.logs())")
        for host in hosts { fleet.daemons[host]?.stop() }
        var spans: [(start: Int, end: Int)] = []
        var starts: [Substring: Int] = [:]
        for line in ((try? String(contentsOfFile: ledger, encoding: .utf8)) ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let time = Int(parts[2]) else { continue }
            if parts[1] == "start" { starts[parts[0]] = time } else if let start = starts[parts[0]] { spans.append((start, time)) }
        }
        spans.sort { $0.start < $1.start }
        let overlapping = zip(spans, spans.dropFirst()).filter { $0.1.start < $0.0.end }.count
        let skipped = hosts.flatMap { fleet.files($0).executions("slow", state: "skipped") }
        print("fleet overlap: \(spans.count) runs, \(overlapping) overlapping, \(skipped.count) slots skipped across the fleet")
        #expect(spans.count >= 3)
        #expect(overlapping == 0, "runs overlapped: \(spans)")
        #expect(skipped.contains { (($0["error"] as? [String: Any])?["message"] as? String ?? "").contains("across the fleet") })
    }
}

/// `jobdir run`'s fleet flags are checked before anything starts (no etcd needed).
@Suite struct FleetFlagTests {
    func refusal(_ arguments: [String]) throws -> ProcessResult {
        let dir = try TemporaryDirectory("jobdir-fleet-flags")
        defer { dir.remove() }
        return try ProcessRunner.jobdir(["run", "--jobs", dir.path, "--state", dir.url("state")] + arguments)
    }

    @Test func badFleetFlagsAreUsageErrors() throws {
        let cases: [([String], String)] = [
            (["--fleet", "ftp://10.0.0.1:2379"], "--fleet must be etcd client URLs"),
            (["--fleet", "http://127.0.0.1:2379", "--host-label", "role"], "--host-label must be K=V"),
            (["--host-label", "role=db"], "--host-label needs --fleet"),
            (["--fleet", "http://127.0.0.1:2379", "--fleet-ttl", "1s"], "--fleet-ttl must be whole seconds, at least 2s"),
            (["--fleet", "http://127.0.0.1:2379", "--fleet-name", "a/b"], "--fleet-name must be letters"),
            (["--host", "a b"], "--host must be a name without spaces"),
        ]
        for (arguments, message) in cases {
            let result = try refusal(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}

extension ISO8601DateFormatter {
    static var withMilliseconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
