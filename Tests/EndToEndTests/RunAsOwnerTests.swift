import Foundation
import Glibc
import Testing
import TestSupport

/// SPEC section 11 with the real daemon as root: jobs run as their files' owners, with
/// their limits; nothing is read or reached with root's rights on a user's behalf.
@Suite(.serialized, .enabled(if: geteuid() == 0, "needs root: the daemon switches to the user nobody"))
struct RunAsOwnerTests {
    typealias Setup = DaemonTests.Setup

    let nobody: passwd = getpwnam("nobody")!.pointee
    /// Its home, read with getpwnam_r: the strings of `nobody` live in a static buffer that
    /// another test's getpw* call may overwrite meanwhile.
    static let nobodyHome: String = {
        var entry = passwd()
        var buffer = [CChar](repeating: 0, count: 4096)
        var found: UnsafeMutablePointer<passwd>?
        guard getpwnam_r("nobody", &entry, &buffer, buffer.count, &found) == 0, found != nil else { return "" }
        return String(cString: entry.pw_dir)
    }()

    /// A setup whose directories `nobody` can reach (mkdtemp makes them 0700).
    func setup() throws -> Setup {
        let setup = try Setup()
        chmod(setup.dir.path, 0o755)
        return setup
    }

    /// A directory `nobody` may write into.
    func nobodysDirectory(_ setup: Setup) throws -> String {
        let path = setup.dir.url("out")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        #expect(chown(path, nobody.pw_uid, nobody.pw_gid) == 0)
        return path
    }

    /// Writes a job owned by `nobody`.
    func nobodysJob(_ setup: Setup, _ name: String, _ text: String) throws {
        let path = try setup.job(name, text)
        #expect(chown(path, nobody.pw_uid, nobody.pw_gid) == 0)
    }

    func finished(_ setup: Setup, _ job: String, _ daemon: DaemonProcess) async throws -> [String: Any] {
        #expect(await waitUntil(timeout: .seconds(20)) {
            setup.files.executions(job).contains { ["succeeded", "failed", "timed_out", "canceled"].contains($0["state"] as? String) }
        }, "\(daemon.log)")
        return try #require(setup.files.executions(job).first, "\(daemon.log)")
    }

    func start(_ setup: Setup, jobs: [String]) async throws -> DaemonProcess {
        let daemon = try setup.start()
        #expect(await waitUntil { jobs.allSatisfy { setup.files.result($0)?["loaded"] as? Bool == true } }, "\(daemon.log)")
        return daemon
    }

    @Test func aFileOwnedByNobodyRunsAsNobody() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        let out = try nobodysDirectory(setup)
        try nobodysJob(setup, "theirs.yaml", "command: 'id -u; id -G; echo \"$HOME $USER $LOGNAME\"; umask; touch \(out)/made'\numask: '027'\n")
        let daemon = try await start(setup, jobs: ["theirs"])
        try setup.trigger("theirs")
        let record = try await finished(setup, "theirs", daemon)
        #expect(record["state"] as? String == "succeeded", "\(record)")
        let groups = try ProcessRunner.run("/usr/bin/id", ["-G", "nobody"]).stdout
        #expect(setup.files.log(record) == "\(nobody.pw_uid)\n\(groups)\(Self.nobodyHome) nobody nobody\n0027\n")
        let user = try #require(record["user"] as? [String: Any])
        #expect(user["name"] as? String == "nobody" && user["uid"] as? Int == Int(nobody.pw_uid))
        var info = stat()
        #expect(stat(out + "/made", &info) == 0)
        #expect(info.st_uid == nobody.pw_uid && info.st_mode & 0o777 == 0o640, "made by nobody with umask 027")
        // The log stays the daemon's.
        #expect(stat(setup.state + "/" + ((record["output"] as? [String: Any])?["log"] as? String ?? ""), &info) == 0 && info.st_uid == 0)
        let list = try ProcessRunner.jobdir(["list", "--json", "--jobs", setup.jobs, "--state", setup.state])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(rows.first?["user"] as? String == "nobody" && rows.first?["group"] as? String == "nogroup")
        #expect(daemon.stop() == 0)
    }

    @Test func aRootFileMayNameTheUserAndStatusShowsIt() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try setup.job("named.yaml", "command: 'id -un; sleep 30'\nuser: nobody\n")
        let daemon = try await start(setup, jobs: ["named"])
        try setup.trigger("named")
        #expect(await waitUntil { setup.files.executions("named", state: "running").first?["pid"] is Int }, "\(daemon.log)")
        let status = try ProcessRunner.jobdir(["status", "--json", "--jobs", setup.jobs, "--state", setup.state])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect((object["running"] as? [[String: Any]])?.first?["user"] as? String == "nobody", "\(status.stdout)")
        let text = try ProcessRunner.jobdir(["status", "--jobs", setup.jobs, "--state", setup.state]).stdout
        #expect(text.contains("USER") && text.contains(" nobody"), "\(text)")
        let id = try #require(setup.files.executions("named").first?["id"] as? String)
        _ = try ProcessRunner.jobdir(["cancel", id, "--jobs", setup.jobs, "--state", setup.state])
        let record = try await finished(setup, "named", daemon)
        #expect(setup.files.log(record).hasPrefix("nobody\n"))
        #expect(daemon.stop() == 0)
    }

    @Test func nobodyNamingRootIsRefusedWithItsPosition() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try nobodysJob(setup, "escalate.yaml", "command: id -u\nuser: root\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("escalate")?["definition_error"] is String }, "\(daemon.log)")
        let error = setup.files.result("escalate")?["definition_error"] as? String
        #expect(error == "\(setup.jobs)/escalate.yaml:2:7: `user: root`: this file is owned by nobody, so it may only run as nobody; only a root-owned file may name another user")
        try setup.trigger("escalate")
        #expect(await waitUntil { daemon.log.contains("escalate") && !FileManager.default.fileExists(atPath: setup.state + "/triggers/escalate") })
        #expect(setup.files.executions("escalate").isEmpty, "it never ran")
        let validate = try ProcessRunner.jobdir(["validate", setup.jobs + "/escalate.yaml", "--jobs", setup.jobs])
        #expect(validate.status == 1)
        #expect(validate.stdout.contains("escalate.yaml:2:7: `user: root`") || validate.stderr.contains("escalate.yaml:2:7: `user: root`"))
        #expect(daemon.stop() == 0)
    }

    @Test func aJobInAGroupWritableDirectoryIsRefused() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try setup.job("shared/job.yaml", "command: id -u\n")
        chmod(setup.jobs + "/shared", 0o775)
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("shared/job")?["definition_error"] is String }, "\(daemon.log)")
        let error = setup.files.result("shared/job")?["definition_error"] as? String ?? ""
        #expect(error.contains("refused: the directory \(setup.jobs)/shared is writable by group or others (mode 775)"), "\(error)")
        let validate = try ProcessRunner.jobdir(["validate", "--jobs", setup.jobs])
        #expect(validate.status == 1)
        #expect(daemon.stop() == 0)
    }

    @Test func eachLimitHolds() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try nobodysJob(setup, "files.yaml", """
            command: [/bin/bash, -c, 'for i in $(seq 1 20); do exec {fd}</dev/null || { echo "failed at $i"; exit 4; }; done']
            limits: {open_files: 16}
            """)
        try nobodysJob(setup, "cpu.yaml", "command: 'while :; do :; done'\nlimits: {cpu_time: 1s}\ntimeout: 30s\n")
        let out = try nobodysDirectory(setup)
        try nobodysJob(setup, "big.yaml", "command: 'exec head -c 2097152 /dev/zero > \(out)/big'\nlimits: {file_size: 1MiB}\n")
        try nobodysJob(setup, "forks.yaml", "command: 'ulimit -p; sleep 2 & sleep 2 & sleep 2 & sleep 2 & sleep 2 & sleep 2 & wait'\nlimits: {processes: 3}\n")
        try nobodysJob(setup, "nice.yaml", "command: 'cut -d\" \" -f19 /proc/self/stat; ionice -p $$'\nlimits: {nice: 10, io: idle}\n")
        let jobs = ["files", "cpu", "big", "forks", "nice"]
        let daemon = try await start(setup, jobs: jobs)
        for job in jobs { try setup.trigger(job) }

        let files = try await finished(setup, "files", daemon)
        #expect(files["exit_code"] as? Int == 4)
        // bash hands out descriptors from 10 up: 10 to 15 fit under the limit, the 7th does not.
        #expect(setup.files.log(files).hasSuffix("Too many open files\nfailed at 7\n"), "\(setup.files.log(files))")

        let cpu = try await finished(setup, "cpu", daemon)
        #expect(cpu["state"] as? String == "failed")
        #expect(cpu["error"] as? [String: String] == ["kind": "limit", "message": "cpu_time limit 1s reached (killed by SIGXCPU)"])

        let big = try await finished(setup, "big", daemon)
        #expect(big["error"] as? [String: String] == ["kind": "limit", "message": "file_size limit 1MiB reached (killed by SIGXFSZ)"], "\(big)")

        let forks = try await finished(setup, "forks", daemon)
        let forksLog = setup.files.log(forks)
        #expect(forksLog.hasPrefix("3\n"), "\(forksLog)")
        #expect(forksLog.contains("Cannot fork"), "some of the six children could not start: \(forksLog)")

        let nice = try await finished(setup, "nice", daemon)
        #expect(setup.files.log(nice) == "10\nidle\n")
        #expect(daemon.stop() == 0)
    }

    @Test func anEnvFileNobodyCannotReadFailsTheRunAndLeaksNothing() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try nobodysJob(setup, "shadow.yaml", "command: 'env; cat /etc/shadow'\nenv_file: /etc/shadow\n")
        let daemon = try await start(setup, jobs: ["shadow"])
        try setup.trigger("shadow")
        let record = try await finished(setup, "shadow", daemon)
        #expect(record["state"] as? String == "failed")
        #expect(record["error"] as? [String: String] == ["kind": "env_file", "message": "/etc/shadow: Permission denied"])
        // No line of the file is anywhere the run's output, record or log could carry it.
        let shadow = try String(contentsOfFile: "/etc/shadow", encoding: .utf8)
        let secrets = shadow.split(separator: "\n").compactMap { line -> String? in
            let hash = line.split(separator: ":", omittingEmptySubsequences: false).dropFirst().first.map(String.init) ?? ""
            return hash.count > 2 ? hash : nil
        }
        let recordText = try String(contentsOfFile: setup.state + "/executions/shadow/\(record["id"] as! String).json", encoding: .utf8)
        let everything = recordText + setup.files.log(record) + daemon.log
        for line in shadow.split(separator: "\n") where line.contains(":") {
            #expect(!everything.contains(String(line)), "a line of /etc/shadow leaked")
        }
        for secret in secrets { #expect(!everything.contains(secret), "a password hash leaked") }
        #expect(!everything.contains("root:"), "not even the first field")
        #expect(daemon.stop() == 0)
    }

    @Test func aWorkdirNobodyCannotEnterNamesThePath() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try FileManager.default.createDirectory(atPath: setup.dir.url("private"), withIntermediateDirectories: true)
        chmod(setup.dir.url("private"), 0o700)
        try nobodysJob(setup, "private.yaml", "command: 'true'\nworkdir: \(setup.dir.url("private"))\n")
        let daemon = try await start(setup, jobs: ["private"])
        try setup.trigger("private")
        let record = try await finished(setup, "private", daemon)
        #expect(record["error"] as? [String: String] == ["kind": "spawn_permission", "message": "working directory \(setup.dir.url("private")): Permission denied"])
        #expect(daemon.stop() == 0)
    }
}

extension RunAsOwnerTests {
    @Test func aDaemonThatIsNotRootRefusesAnotherUser() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        try nobodysJob(setup, "other.yaml", "command: id -u\nuser: root\n")
        try nobodysJob(setup, "own.yaml", "command: id -u\n")
        try FileManager.default.createDirectory(atPath: setup.state, withIntermediateDirectories: true)
        #expect(chown(setup.state, nobody.pw_uid, nobody.pw_gid) == 0)
        #expect(chown(setup.jobs, nobody.pw_uid, nobody.pw_gid) == 0)
        // The daemon itself runs as nobody.
        let daemon = try DaemonProcess(jobs: setup.jobs, state: setup.state,
                                       wrapper: ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
        #expect(await waitUntil { setup.files.result("other")?["definition_error"] is String && setup.files.result("own") != nil }, "\(daemon.log)")
        #expect(setup.files.result("other")?["definition_error"] as? String
                == "\(setup.jobs)/other.yaml:2:7: `user: root`: the daemon runs as nobody, not root, so it runs every job as nobody; remove `user:` or run the daemon as root")
        #expect(setup.files.result("own")?["loaded"] as? Bool == true)
        #expect(daemon.stop() == 0)
    }
}

extension RunAsOwnerTests {
    @Test func aNobodyJobDoesNotWatchARootOnlyDirectory() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        let secret = setup.dir.url("secret"), open = setup.dir.url("open")
        for directory in [secret, open] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        chmod(secret, 0o700)
        chmod(open, 0o755)
        try nobodysJob(setup, "spy.yaml", "command: echo fired\nwatch: {paths: [\(secret)/*], debounce: 50ms}\n")
        try nobodysJob(setup, "look.yaml", "command: echo fired\nwatch: {paths: [\(open)/*], debounce: 50ms}\n")
        let daemon = try await start(setup, jobs: ["spy", "look"])
        #expect(await waitUntil { daemon.log.contains("watch_refused job=spy") }, "\(daemon.log)")
        try "x".write(toFile: secret + "/a", atomically: false, encoding: .utf8)
        try "x".write(toFile: open + "/a", atomically: false, encoding: .utf8)
        // The readable one fires; by then the other's debounce has long passed.
        #expect(await waitUntil { setup.files.executions("look", state: "succeeded").count == 1 }, "\(daemon.log)")
        #expect(await waitUntil(timeout: .seconds(1)) { !setup.files.executions("spy").isEmpty } == false, "a change nobody cannot see fired nobody's job")
        #expect((setup.files.result("spy")?["watch_files"] as? [String: Any])?.isEmpty ?? true, "nothing of it was hashed")
        #expect(daemon.stop() == 0)
    }

    @Test func aNobodyJobWatchingASymlinkIntoARootOnlyDirectoryDoesNotFire() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        // vault/ is root's alone; what lies below it is open, but nobody cannot get there.
        let vault = setup.dir.url("vault"), open = setup.dir.url("open")
        for directory in [vault + "/inner", open] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        chmod(vault, 0o700)
        chmod(vault + "/inner", 0o755)
        chmod(open, 0o755)
        try "secret".write(toFile: vault + "/secret.txt", atomically: false, encoding: .utf8)
        chmod(vault + "/secret.txt", 0o644)
        #expect(symlink(vault + "/inner", open + "/inner") == 0)
        #expect(symlink(vault + "/secret.txt", open + "/secret.txt") == 0)
        try nobodysJob(setup, "spy.yaml", "command: echo fired\nwatch: {paths: [\(open)/inner/*, \(open)/*.txt], debounce: 50ms}\n")
        try nobodysJob(setup, "look.yaml", "command: echo fired\nwatch: {paths: [\(open)/*.log], debounce: 50ms}\n")
        let daemon = try await start(setup, jobs: ["spy", "look"])
        #expect(await waitUntil { daemon.log.contains("watch_refused job=spy") }, "\(daemon.log)")
        try "x".write(toFile: vault + "/inner/a", atomically: false, encoding: .utf8)
        try "x".write(toFile: open + "/a.log", atomically: false, encoding: .utf8)
        #expect(await waitUntil { setup.files.executions("look", state: "succeeded").count == 1 }, "\(daemon.log)")
        #expect(await waitUntil(timeout: .seconds(1)) { !setup.files.executions("spy").isEmpty } == false, "a change nobody cannot see fired nobody's job")
        let hashed = (setup.files.result("spy")?["watch_files"] as? [String: Any]) ?? [:]
        #expect(hashed.isEmpty, "nothing behind the symlinks was hashed: \(hashed)")
        #expect(daemon.stop() == 0)
    }

    @Test func aRunAsAnotherUserStartsFromAMinimalEnvironmentAndExpandsNothingOfTheDaemons() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        let print = "command: echo \"secret=$DAEMON_SECRET leak=$LEAK home=$H path=$PATH\"\n"
        try nobodysJob(setup, "theirs.yaml", print + "env: {LEAK: '${DAEMON_SECRET}', H: '${HOME}'}\n")
        try setup.job("rootsfornobody.yaml", print + "user: nobody\nenv: {LEAK: '${DAEMON_SECRET}', H: '${HOME}'}\n")
        try setup.job("roots.yaml", print + "env: {LEAK: '${DAEMON_SECRET}', H: '${HOME}'}\n")
        var environment = ProcessInfo.processInfo.environment
        for name in ["NOTIFY_SOCKET", "JOURNAL_STREAM"] { environment[name] = nil }
        environment["DAEMON_SECRET"] = "s3cret"
        environment["PATH"] = "/root/bin:/usr/bin:/bin"
        environment["HOME"] = "/daemon-home"
        let daemon = try DaemonProcess(jobs: setup.jobs, state: setup.state, environment: environment)
        let jobs = ["theirs", "rootsfornobody", "roots"]
        #expect(await waitUntil { jobs.allSatisfy { setup.files.result($0)?["loaded"] as? Bool == true } }, "\(daemon.log)")
        for job in jobs { try setup.trigger(job) }
        #expect(await waitUntil { jobs.allSatisfy { setup.files.executions($0, state: "succeeded").count == 1 } }, "\(daemon.log)")
        func output(_ job: String) -> String? { setup.files.executions(job).first.map(setup.files.log) }
        let home = Self.nobodyHome, minimalPath = "/usr/local/bin:/usr/bin:/bin"
        #expect(output("theirs") == "secret= leak= home=\(home) path=\(minimalPath)\n", "nobody's file expands from nobody's environment")
        #expect(output("rootsfornobody") == "secret= leak=s3cret home=/daemon-home path=\(minimalPath)\n", "root's file may expand root's")
        #expect(output("roots") == "secret=s3cret leak=s3cret home=/daemon-home path=/root/bin:/usr/bin:/bin\n", "a run as the daemon's user keeps its environment")
        #expect(daemon.stop() == 0)
    }

    @Test func anotherUsersWebhookHeadersExpandNothingOfTheDaemons() async throws {
        let server = try ScriptedHTTPServer()
        defer { server.stop() }
        let setup = try setup()
        defer { setup.dir.remove() }
        let notify = "notify: {on: [success], webhook: \"\(server.url("/hook"))\", headers: {Authorization: \"Bearer ${ALERT_TOKEN}\"}}\n"
        try nobodysJob(setup, "theirs.yaml", "command: \"true\"\n" + notify)
        try setup.job("roots.yaml", "command: \"true\"\n" + notify)
        var environment = ProcessInfo.processInfo.environment
        for name in ["NOTIFY_SOCKET", "JOURNAL_STREAM"] { environment[name] = nil }
        environment["ALERT_TOKEN"] = "s3cret-token"
        let daemon = try DaemonProcess(jobs: setup.jobs, state: setup.state, environment: environment)
        #expect(await waitUntil { ["theirs", "roots"].allSatisfy { setup.files.result($0)?["loaded"] as? Bool == true } }, "\(daemon.log)")
        try setup.trigger("theirs")
        #expect(await waitUntil { server.requests.count == 1 }, "\(daemon.log)")
        try setup.trigger("roots")
        #expect(await waitUntil { server.requests.count == 2 }, "\(daemon.log)")
        let sent = server.requests.map { ($0.headers["x-jobdir-job"] ?? "", $0.headers["authorization"] ?? "") }
        #expect(sent.first { $0.0 == "theirs" }?.1 == "Bearer", "nobody's header has nothing of the daemon's: \(sent)")
        #expect(sent.first { $0.0 == "roots" }?.1 == "Bearer s3cret-token", "\(sent)")
        #expect(daemon.stop() == 0)
    }

    @Test func aNobodyJobsNotifierAndSendmailRunAsNobody() async throws {
        let setup = try setup()
        defer { setup.dir.remove() }
        let out = try nobodysDirectory(setup)
        let sendmail = try setup.dir.write("sendmail", "#!/bin/sh\nid -u > \(out)/mailer\ncat > /dev/null\n", mode: 0o755)
        try nobodysJob(setup, "told.yaml", """
            command: 'exit 1'
            umask: '027'
            notify:
              command: 'id -u > \(out)/notifier; echo "$HOME $USER $LOGNAME" >> \(out)/notifier; umask >> \(out)/notifier; cat > /dev/null'
              mail: [ops@example.com]

            """)
        let daemon = try setup.start(["--sendmail", sendmail])
        #expect(await waitUntil { setup.files.result("told")?["loaded"] as? Bool == true }, "\(daemon.log)")
        try setup.trigger("told")
        #expect(await waitUntil(timeout: .seconds(20)) {
            (setup.files.executions("told").first?["notifications"] as? [[String: Any]])?.count == 2
        }, "\(daemon.log)")
        let attempts = setup.files.executions("told").first?["notifications"] as? [[String: Any]] ?? []
        #expect(attempts.allSatisfy { $0["ok"] as? Bool == true }, "\(attempts)")
        #expect(try String(contentsOfFile: out + "/notifier", encoding: .utf8) == "\(nobody.pw_uid)\n\(Self.nobodyHome) nobody nobody\n0027\n")
        #expect(try String(contentsOfFile: out + "/mailer", encoding: .utf8) == "\(nobody.pw_uid)\n")
        #expect(daemon.stop() == 0)
    }
}

