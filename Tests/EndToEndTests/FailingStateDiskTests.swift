import Foundation
import StateStore
import Testing
import TestSupport

/// The daemon on a state directory that refuses writes: a small tmpfs filled up by the
/// test, or a bind mount remounted read-only. Mounting needs root; elsewhere each test
/// says why it does not run.
@Suite(.serialized, .enabled(if: geteuid() == 0, "needs root to mount a small filesystem for the state directory"))
struct FailingStateDiskTests {
    /// A temp directory whose `state/` is its own small filesystem (or read-only bind mount).
    final class Disk {
        let dir: TemporaryDirectory
        var jobs: String { dir.url("jobs") }
        var state: String { dir.url("state") }
        var files: StateFiles { StateFiles(state) }
        private var mounted = false

        /// `state/` as a tmpfs of `size` (e.g. "1m"), or nil with the reason when it cannot be mounted.
        static func tmpfs(size: String) throws -> (Disk?, String) {
            let disk = try Disk()
            let result = try ProcessRunner.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", disk.state])
            guard result.status == 0 else { disk.dir.remove(); return (nil, "cannot mount a tmpfs (\(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))); needs root") }
            disk.mounted = true
            return (disk, "")
        }

        /// `state/` as a loop-mounted ext4 image of `megabytes` (no blocks kept back for root).
        static func ext4(megabytes: Int) throws -> (Disk?, String) {
            let disk = try Disk()
            let image = disk.dir.url("outside/state.img")
            FileManager.default.createFile(atPath: image, contents: nil)
            guard truncate(image, off_t(megabytes) << 20) == 0,
                  try ProcessRunner.run("/sbin/mkfs.ext4", ["-q", "-m", "0", image]).status == 0 else { disk.dir.remove(); return (nil, "mkfs.ext4 failed") }
            let result = try ProcessRunner.run("/bin/mount", ["-o", "loop", image, disk.state])
            guard result.status == 0 else { disk.dir.remove(); return (nil, "cannot loop-mount ext4 (\(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))") }
            chmod(disk.state, 0o700)
            disk.mounted = true
            return (disk, "")
        }

        /// `state/` bind-mounted onto itself, so that it can be remounted read-only.
        static func bindMount() throws -> (Disk?, String) {
            let disk = try Disk()
            let result = try ProcessRunner.run("/bin/mount", ["--bind", disk.state, disk.state])
            guard result.status == 0 else { disk.dir.remove(); return (nil, "cannot bind-mount (\(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))); needs root") }
            disk.mounted = true
            return (disk, "")
        }

        private init() throws {
            dir = try TemporaryDirectory("jobdir-disk")
            for name in ["jobs", "state", "outside"] { try FileManager.default.createDirectory(atPath: dir.url(name), withIntermediateDirectories: true) }
        }

        func job(_ name: String, _ text: String) throws { try dir.write("jobs/" + name, text) }

        func start(_ arguments: [String] = []) throws -> DaemonProcess { try DaemonProcess(jobs: jobs, state: state, arguments: arguments) }

        /// Fills the state filesystem until it refuses a write; returns the filler's path.
        @discardableResult
        func fill() -> String {
            let path = state + "/filler"
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            let chunk = [UInt8](repeating: 0x7a, count: 4096)
            while write(fd, chunk, chunk.count) == chunk.count {}
            close(fd)
            return path
        }

        func free() { unlink(state + "/filler") }

        /// Remounts `state/` read-only or read-write; a run holding its log open makes
        /// the kernel refuse read-only for a moment, so it is tried until a deadline.
        func remount(readOnly: Bool) async throws -> Bool {
            try await waitUntil(timeout: .seconds(10)) {
                try ProcessRunner.run("/bin/mount", ["-o", "remount,bind,\(readOnly ? "ro" : "rw")", state]).status == 0
            }
        }

        func trigger(_ job: String) throws {
            let temporary = state + "/triggers/.\(job).tmp"
            FileManager.default.createFile(atPath: temporary, contents: nil)
            #expect(rename(temporary, state + "/triggers/" + job) == 0)
        }

        func status(json: Bool = false) throws -> String {
            try ProcessRunner.jobdir(["status", "--state", state, "--jobs", jobs] + (json ? ["--json"] : [])).stdout
        }

        /// A fifo outside the state directory: a job reading it waits until `release`.
        func gate(_ name: String) -> Gate { Gate(at: dir.url("outside/" + name)) }

        deinit {
            if mounted { _ = try? ProcessRunner.run("/bin/umount", ["-l", state]) }
            dir.remove()
        }
    }

    @Test(arguments: ["tmpfs", "ext4"])
    func aRunThatEndsOnAFullDiskIsRecordedWithItsRealExitAndStatusShowsTheFailure(filesystem: String) async throws {
        let (made, reason) = try filesystem == "ext4" ? Disk.ext4(megabytes: 8) : Disk.tmpfs(size: "1m")
        guard let disk = made else { Issue.record(Comment(rawValue: reason)); return }
        let gate = disk.gate("long")
        try disk.job("long.yaml", "command: [\"/bin/sh\", \"-c\", \"read x < \(gate.path); echo finished; exit 0\"]\n")
        let metrics = disk.dir.url("outside/jobdir.prom")
        let daemon = try disk.start(["--metrics-file", metrics])
        #expect(await waitUntil { disk.files.json("daemon.json") != nil && disk.files.result("long") != nil }, "\(daemon.log)")
        try disk.trigger("long")
        #expect(await waitUntil { disk.files.executions("long", state: "running").first?["pid"] is Int }, "\(daemon.log)")

        disk.fill()
        gate.open()
        // The reserve is given back for the records of runs going on: the outcome lands at once.
        #expect(await waitUntil { disk.files.executions("long", state: "succeeded").count == 1 }, "\(daemon.log)")
        #expect(daemon.log.contains("reserve_released"), "\(daemon.log)")
        #expect(!FileManager.default.fileExists(atPath: disk.state + "/.reserve"))
        let record = try #require(disk.files.executions("long").first)
        #expect(record["exit_code"] as? Int == 0)
        #expect(record["state"] as? String == "succeeded")
        // Still short of space: the daemon says the state directory is failing.
        #expect(await waitUntil { (try? disk.status())?.contains("state directory: FAILING") == true }, "\(daemon.log)")
        #expect(daemon.log.components(separatedBy: "state_unwritable").count == 2, "one line when it begins: \(daemon.log)")
        #expect(await waitUntil { (try? String(contentsOfFile: metrics, encoding: .utf8))?.contains("jobdir_state_directory_writable 0") == true })

        disk.free()
        #expect(await waitUntil { disk.files.json("daemon.json")?["state_writable"] as? Bool == true }, "\(daemon.log)")
        let statusAfter = try disk.status()
        #expect(!statusAfter.contains("FAILING"), "\(statusAfter)")
        #expect(daemon.log.contains("state_writable"))
        #expect(await waitUntil { (try? String(contentsOfFile: metrics, encoding: .utf8))?.contains("jobdir_state_directory_writable 1") == true })
        #expect(disk.files.executions("long").count == 1)
        #expect(FileManager.default.fileExists(atPath: disk.state + "/.reserve"), "the reserve is made again once writes land")
        #expect(daemon.stop() == 0)
    }

    @Test func aLogThatCannotBeWrittenKeepsItsTailAndTheRunGoesOn() async throws {
        let (made, reason) = try Disk.tmpfs(size: "1m")
        guard let disk = made else { Issue.record(Comment(rawValue: reason)); return }
        let gate = disk.gate("chatty")
        try disk.job("chatty.yaml", "command: [\"/bin/sh\", \"-c\", \"read x < \(gate.path); head -c 300000 /dev/zero | tr '\\\\0' a; echo; echo END\"]\n")
        let daemon = try disk.start()
        #expect(await waitUntil { disk.files.result("chatty") != nil }, "\(daemon.log)")
        try disk.trigger("chatty")
        #expect(await waitUntil { disk.files.executions("chatty", state: "running").first?["pid"] is Int }, "\(daemon.log)")
        disk.fill()
        gate.open()
        #expect(await waitUntil { disk.files.executions("chatty", state: "succeeded").count == 1 }, "\(daemon.log)")
        let record = try #require(disk.files.executions("chatty").first)
        let output = try #require(record["output"] as? [String: Any])
        #expect(record["exit_code"] as? Int == 0)
        #expect(output["truncated"] as? Bool == true)
        #expect((output["truncated_reason"] as? String)?.contains("No space left on device") == true, "\(output)")
        #expect((output["tail"] as? String)?.hasSuffix("aaa\nEND\n") == true)
        #expect(output["bytes"] as? Int == 300_005)
        disk.free()
        #expect(daemon.stop() == 0)
    }

    @Test func slotsThatFallWhileTheDiskIsFullAreRecordedSkippedAndNeverRun() async throws {
        let (made, reason) = try Disk.tmpfs(size: "1m")
        guard let disk = made else { Issue.record(Comment(rawValue: reason)); return }
        let ran = disk.dir.url("outside/ran")
        try disk.job("tick.yaml", "command: [\"/bin/sh\", \"-c\", \"echo $JOBDIR_SCHEDULED_FOR >> \(ran)\"]\nschedule: '* * * * * *'\n")
        let daemon = try disk.start()
        #expect(await waitUntil { disk.files.executions("tick", state: "succeeded").count >= 2 }, "\(daemon.log)")
        disk.fill()
        #expect(await waitUntil(timeout: .seconds(15)) { disk.files.executions("tick", state: "skipped").count >= 3 }, "\(daemon.log)")
        disk.free()
        let skippedBefore = disk.files.executions("tick", state: "skipped")
        let lastSkipped = skippedBefore.compactMap { ($0["trigger"] as? [String: Any])?["scheduled_for"] as? String }.max() ?? ""
        #expect(await waitUntil(timeout: .seconds(15)) {
            disk.files.executions("tick", state: "succeeded").contains { (($0["trigger"] as? [String: Any])?["scheduled_for"] as? String ?? "") > lastSkipped }
        }, "runs again once there is room: \(daemon.log)")
        #expect(daemon.stop() == 0)

        let records = disk.files.executions("tick")
        let slots = records.compactMap { ($0["trigger"] as? [String: Any])?["scheduled_for"] as? String }
        #expect(Set(slots).count == slots.count, "no slot was recorded twice")
        let skipped = records.filter { $0["state"] as? String == "skipped" }
        for record in skipped {
            #expect((record["error"] as? [String: Any])?["kind"] as? String == "state_unwritable")
        }
        let ranSlots = (try String(contentsOfFile: ran, encoding: .utf8)).split(separator: "\n").map(String.init)
        #expect(Set(ranSlots).count == ranSlots.count, "no slot ran twice")
        let skippedSlots = Set(skipped.compactMap { ($0["trigger"] as? [String: Any])?["scheduled_for"] as? String })
        #expect(skippedSlots.isDisjoint(with: ranSlots), "a skipped slot never ran")
        // Every second from the first skipped slot to the last has exactly one record: none was lost.
        let seconds = slots.compactMap(Self.second)
        let skippedSeconds = skippedSlots.compactMap(Self.second)
        if let first = skippedSeconds.min(), let last = skippedSeconds.max() {
            let missing = (first...last).filter { second in seconds.filter { $0 == second }.count != 1 }
            #expect(missing.isEmpty, "seconds without exactly one record: \(missing) among \(slots.sorted())")
        }
    }

    /// The whole second of a `scheduled_for` timestamp (`2026-11-23T01:30:00.000Z`).
    static func second(_ timestamp: String) -> Int? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: timestamp).map { Int($0.timeIntervalSince1970.rounded(.down)) }
    }

    @Test func aRestartWhileWritesAreOwedLosesNothing() async throws {
        let (made, reason) = try Disk.tmpfs(size: "1m")
        guard let disk = made else { Issue.record(Comment(rawValue: reason)); return }
        let gate = disk.gate("long")
        try disk.job("long.yaml", "command: [\"/bin/sh\", \"-c\", \"read x < \(gate.path); exit 7\"]\n")
        var daemon = try disk.start()
        #expect(await waitUntil { disk.files.result("long") != nil }, "\(daemon.log)")
        try disk.trigger("long")
        #expect(await waitUntil { disk.files.executions("long", state: "running").first?["pid"] is Int }, "\(daemon.log)")
        // Without the reserve the outcome cannot land until there is room again.
        unlink(disk.state + "/.reserve")
        disk.fill()
        gate.open()
        #expect(await waitUntil { (try? disk.status(json: true))?.contains("\"owed_writes\"") == true }, "\(daemon.log)")
        #expect(disk.files.executions("long", state: "running").count == 1, "the outcome is owed, not written")
        daemon.stop(signal: SIGKILL)

        disk.free()
        daemon = try disk.start()
        #expect(await waitUntil { disk.files.executions("long", state: "failed").count == 1 }, "\(daemon.log)")
        let record = try #require(disk.files.executions("long").first)
        #expect(record["exit_code"] as? Int == 7, "the real outcome, not `interrupted`")
        #expect(disk.files.executions("long").count == 1)
        #expect(daemon.stop() == 0)
    }

    /// What the daemon owes is kept outside the state directory in the turn it becomes
    /// owed, not only when a write is refused (every 2 s at most once it has failed a
    /// while): a daemon killed while waiting for its next try loses no slot it recorded.
    @Test func everySlotRecordedWhileTheDiskIsFullSurvivesAKill() async throws {
        let (made, reason) = try Disk.tmpfs(size: "1m")
        guard let disk = made else { Issue.record(Comment(rawValue: reason)); return }
        try disk.job("tick.yaml", "command: \"true\"\nschedule: '* * * * * *'\n")
        var daemon = try disk.start()
        #expect(await waitUntil { disk.files.executions("tick", state: "succeeded").count >= 1 }, "\(daemon.log)")
        unlink(disk.state + "/.reserve")
        disk.fill()
        #expect(await waitUntil { (try? disk.status())?.contains("state directory: FAILING") == true }, "\(daemon.log)")
        // Long enough for the backoff to reach its 2 s cap, then killed just after a slot,
        // before the next try.
        try await Task.sleep(for: .milliseconds(5_000))
        let firedSoFar = daemon.log.components(separatedBy: " fired ").count
        #expect(await waitUntil { daemon.log.components(separatedBy: " fired ").count > firedSoFar })
        try await Task.sleep(for: .milliseconds(300))
        daemon.stop(signal: SIGKILL)
        let firstLog = daemon.log
        let fired = firstLog.split(separator: "\n").filter { $0.contains(" fired ") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("execution=") }.map { String($0.dropFirst("execution=".count)) }
        }

        disk.free()
        daemon = try disk.start()
        #expect(await waitUntil { daemon.log.contains("owed_writes_replayed") }, "\(daemon.log)")
        #expect(daemon.stop() == 0)
        let recorded = Set(disk.files.executions("tick").compactMap { $0["id"] as? String })
        #expect(fired.count >= 5 && recorded.count >= 5, "\(fired) \(recorded)")
        let lost = fired.filter { !recorded.contains($0) }
        #expect(lost.isEmpty, "fired but never recorded: \(lost)\n\(firstLog)")
    }

    /// The copy of the owed writes kept outside the state directory goes once they have
    /// landed: a daemon killed later and restarted does not write an old `running` record
    /// over the run's real outcome (which recovery would then call `interrupted`), nor the
    /// dead daemon's `daemon.json` over its own.
    @Test func aRestartAfterTheOwedWritesLandedKeepsTheRecordsAsTheyAre() async throws {
        let (made, reason) = try Disk.tmpfs(size: "1m")
        guard let disk = made else { Issue.record(Comment(rawValue: reason)); return }
        let gate = disk.gate("long")
        // The run fills the state disk as soon as it starts: its pid cannot be written.
        try disk.job("long.yaml", "command: [\"/bin/sh\", \"-c\", \"cat /dev/zero > $JOBDIR_STATE_DIR/filler 2>/dev/null; read x < \(gate.path); exit 7\"]\n")
        var daemon = try disk.start()
        #expect(await waitUntil { disk.files.result("long") != nil }, "\(daemon.log)")
        unlink(disk.state + "/.reserve")
        try disk.trigger("long")
        #expect(await waitUntil { (try? disk.status())?.contains("state directory: FAILING") == true }, "\(daemon.log)")
        #expect(disk.files.executions("long", state: "running").count == 1)
        // Room for the owed writes, not enough to end the condition.
        var info = stat()
        #expect(stat(disk.state + "/filler", &info) == 0 && truncate(disk.state + "/filler", max(0, info.st_size - 96 * 1024)) == 0)
        #expect(await waitUntil { disk.files.executions("long", state: "running").first?["pid"] is Int }, "the pid lands: \(daemon.log)")
        gate.open()
        #expect(await waitUntil { disk.files.executions("long", state: "failed").count == 1 }, "\(daemon.log)")
        let executions = disk.state + "/executions/long"
        #expect(await waitUntil { ((try? FileManager.default.contentsOfDirectory(atPath: executions)) ?? []).allSatisfy { !$0.hasSuffix(".outcome") } },
                "the outcome is acknowledged")
        #expect((try? disk.status())?.contains("state directory: FAILING") == true, "still short of space")
        daemon.stop(signal: SIGKILL)

        disk.free()
        daemon = try disk.start()
        let pid = Int(daemon.pid)
        #expect(await waitUntil { disk.files.json("daemon.json")?["pid"] as? Int == pid }, "\(daemon.log)")
        #expect(await waitUntil { daemon.log.contains("started pid=\(pid)") }, "\(daemon.log)")
        // Recovery is done within the start-up turn; what it decides is written then.
        #expect(await waitUntil { disk.files.executions("long").first?["state"] as? String != "running" }, "\(daemon.log)")
        let record = try #require(disk.files.executions("long").first)
        #expect(record["state"] as? String == "failed", "\(record) \(daemon.log)")
        #expect(record["exit_code"] as? Int == 7)
        #expect(disk.files.executions("long").count == 1)
        let daemonFile = disk.files.json("daemon.json")
        #expect(daemonFile?["pid"] as? Int == pid && daemonFile?["state_writable"] as? Bool == true, "\(String(describing: daemonFile))")
        let status = try disk.status()
        #expect(!status.contains("FAILING") && !status.contains("interrupted"), "\(status)")
        #expect(daemon.stop() == 0)
    }

    /// Owed writes of another user (or through a link) are never written into the state
    /// directory: they could forge records, results and retries.
    @Test func owedWritesThatAreNotTheDaemonUsersOwnAreRefused() async throws {
        let (made, reason) = try Disk.tmpfs(size: "1m")
        guard let disk = made else { Issue.record(Comment(rawValue: reason)); return }
        try disk.job("hello.yaml", "command: echo hello\n")
        let files = StateRuntimeFiles(stateDirectory: disk.state)
        try files.prepare()
        let forged = disk.state + "/executions/hello/forged.json"
        try files.saveOwed([forged: Array("{}".utf8)], root: disk.state)
        #expect(chown(files.owedPath, 65534, 65534) == 0)
        defer { unlink(files.owedPath) }
        let daemon = try disk.start()
        #expect(await waitUntil { disk.files.result("hello") != nil }, "\(daemon.log)")
        #expect(daemon.log.contains("owed_writes_refused"), "\(daemon.log)")
        #expect(access(forged, F_OK) != 0, "nothing forged")
        #expect(daemon.stop() == 0)
    }

    @Test func aTriggerDroppedWhileTheDiskIsFullRunsOnceThereIsRoom() async throws {
        let (made, reason) = try Disk.tmpfs(size: "1m")
        guard let disk = made else { Issue.record(Comment(rawValue: reason)); return }
        try disk.job("hello.yaml", "command: echo hello\n")
        let daemon = try disk.start()
        #expect(await waitUntil { disk.files.result("hello") != nil }, "\(daemon.log)")
        unlink(disk.state + "/.reserve")
        disk.fill()
        try disk.trigger("hello")
        #expect(await waitUntil { (try? disk.status())?.contains("state directory: FAILING") == true }, "\(daemon.log)")
        #expect(disk.files.executions("hello").isEmpty)
        disk.free()
        #expect(await waitUntil { disk.files.executions("hello", state: "succeeded").count == 1 }, "\(daemon.log)")
        #expect(daemon.stop() == 0)
        #expect(disk.files.executions("hello").count == 1, "run once")
        let triggers = (try? FileManager.default.subpathsOfDirectory(atPath: disk.state + "/triggers")) ?? []
        let claims = try FileManager.default.contentsOfDirectory(atPath: disk.state + "/triggers/.claimed")
        #expect(triggers.filter { !$0.hasPrefix(".claimed") }.isEmpty && claims.isEmpty, "the request is consumed")
    }

    /// A run whose log directory is missing makes it: refused, that is a refused commit
    /// (the condition begins, the slot is recorded skipped), not a slot lost without a record.
    @Test func aRefusedLogDirectoryIsARefusedCommit() async throws {
        let (made, reason) = try Disk.bindMount()
        guard let disk = made else { Issue.record(Comment(rawValue: reason)); return }
        // Written just after a slot of `*/5`, so the next one falls after the remount.
        while Int(Date().timeIntervalSince1970) % 5 != 1 { try await Task.sleep(for: .milliseconds(50)) }
        try disk.job("fresh.yaml", "command: \"true\"\nschedule: '*/5 * * * * *'\n")
        let daemon = try disk.start()
        #expect(await waitUntil { disk.files.result("fresh") != nil }, "\(daemon.log)")
        // A job without readers has its directories made at its first run; were they
        // made at load (as for a job with readers), they are gone now.
        rmdir(disk.state + "/logs/fresh")
        #expect(access(disk.state + "/logs/fresh", F_OK) != 0)
        #expect(try await disk.remount(readOnly: true))
        #expect(disk.files.executions("fresh").isEmpty, "no run yet: \(daemon.log)")
        #expect(await waitUntil(timeout: .seconds(10)) { (try? disk.status())?.contains("Read-only file system") == true }, "\(daemon.log)")
        #expect(try await disk.remount(readOnly: false))
        #expect(await waitUntil(timeout: .seconds(10)) { !disk.files.executions("fresh", state: "skipped").isEmpty }, "\(daemon.log)")
        #expect(daemon.stop() == 0)
        let skipped = try #require(disk.files.executions("fresh", state: "skipped").first)
        #expect((skipped["error"] as? [String: Any])?["kind"] as? String == "state_unwritable")
        #expect(!daemon.log.contains("write_failed"), "\(daemon.log)")
    }

    @Test func aReadOnlyStateDirectoryOwesItsWritesUntilItIsWritable() async throws {
        let (made, reason) = try Disk.bindMount()
        guard let disk = made else { Issue.record(Comment(rawValue: reason)); return }
        try disk.job("tick.yaml", "command: \"true\"\nschedule: '* * * * * *'\n")
        let daemon = try disk.start()
        #expect(await waitUntil { disk.files.executions("tick", state: "succeeded").count >= 2 }, "\(daemon.log)")
        #expect(try await disk.remount(readOnly: true))
        #expect(await waitUntil { (try? disk.status())?.contains("Read-only file system") == true }, "\(daemon.log)")
        let succeededWhileReadOnly = disk.files.executions("tick", state: "succeeded").count
        #expect(disk.files.executions("tick", state: "skipped").isEmpty, "nothing can be written")
        #expect(try await disk.remount(readOnly: false))
        #expect(await waitUntil { disk.files.executions("tick", state: "skipped").count >= 1 }, "the owed skipped slots land: \(daemon.log)")
        #expect(await waitUntil { disk.files.executions("tick", state: "succeeded").count > succeededWhileReadOnly }, "\(daemon.log)")
        #expect(daemon.stop() == 0)
        for record in disk.files.executions("tick", state: "skipped") {
            #expect((record["error"] as? [String: Any])?["kind"] as? String == "state_unwritable")
        }
    }
}
