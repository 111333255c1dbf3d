import Foundation
import Glibc
import Testing
@testable import Execution
import Scheduling

/// What the supervisor does in the command's child (SPEC section 11): env files read
/// there, the run's user, umask and limits, each failure as an outcome with its kind.
@Suite(.serialized) struct SupervisorChildTests {
    /// The command's environment after the env files in `files` (name → text).
    func environment(after files: [(String, String)], keep: [String] = [], base: [String: String] = basicEnvironment) throws -> (SupervisorOutcome, [String: String]) {
        let dir = TempDirectory()
        defer { dir.remove() }
        for (name, text) in files { dir.write(name, text) }
        var request = SpawnRequest(id: "env", arguments: ["/usr/bin/env", "-0"], environment: base, workingDirectory: dir.path,
                                   logPath: dir.file("env.log"))
        request.child = ChildSetup(envFiles: files.map { dir.file($0.0) }, envKeep: keep)
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        var env: [String: String] = [:]
        for entry in dir.read("env.log").split(separator: "\0") {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            env[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        return (outcome, env)
    }

    @Test func stdinIsTheFileTheSupervisorOpensOrElseDevNull() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        dir.write("input", "from the file\n")
        var request = shell("cat", in: dir, id: "in")
        request.stdinPath = dir.file("input")
        #expect(try SupervisorHarness(dir: dir).run(request).outcome.exitCode == 0)
        #expect(dir.read("in.log") == "from the file\n")
        #expect(try SupervisorHarness(dir: dir).run(shell("cat; echo end", in: dir, id: "none")).outcome.exitCode == 0)
        #expect(dir.read("none.log") == "end\n")
        var missing = shell("cat", in: dir, id: "missing")
        missing.stdinPath = dir.file("absent")
        let outcome = try SupervisorHarness(dir: dir).run(missing).outcome
        #expect(outcome.termination == .spawnFailed)
        #expect(outcome.error?.message.contains("absent") == true, "\(String(describing: outcome.error))")
    }

    @Test func envFilesTakeTheSupportedSyntax() throws {
        let text = "# a comment\n  \nPLAIN=value\nexport EXPORTED=yes\nSPACED = padded value   \nINLINE=abc # trailing comment\n"
            + "HASH=a#b\nSINGLE='literal $HOME \\n # not a comment'\nDOUBLE=\"line1\\nline2\\t\\\"q\\\" \\\\ \\$X\"\nEMPTY=\n"
            + "EMPTY_QUOTED=\"\"\nCRLF=x\r\nPLAIN=override\n"
        let (outcome, env) = try environment(after: [("a.env", text), ("b.env", "EXPORTED=later\nJOBDIR_JOB=no\nKEPT=no\n")],
                                             keep: ["KEPT"], base: basicEnvironment.merging(["KEPT": "yes", "JOBDIR_JOB": "j"]) { $1 })
        #expect(outcome.termination == .exited && outcome.exitCode == 0)
        #expect(env["PLAIN"] == "override" && env["SPACED"] == "padded value" && env["INLINE"] == "abc" && env["HASH"] == "a#b")
        #expect(env["SINGLE"] == "literal $HOME \\n # not a comment")
        #expect(env["DOUBLE"] == "line1\nline2\t\"q\" \\ $X")
        #expect(env["EMPTY"] == "" && env["EMPTY_QUOTED"] == "" && env["CRLF"] == "x")
        // A later file wins; the kept names and JOBDIR_* are not the env file's to set.
        #expect(env["EXPORTED"] == "later")
        #expect(env["KEPT"] == "yes" && env["JOBDIR_JOB"] == "j")
    }

    @Test(arguments: [("NOEQUALS=", "NOEQUALS", 1, "expected KEY=VALUE"), ("S3CRET", "1ABC=s3cret", 1, "invalid variable name `1ABC`"),
                      ("S3CRET", "OK=s3cret\nBAD-NAME=x", 2, "invalid variable name `BAD-NAME`"),
                      ("S3CRET", "Q=\"s3cret", 1, "missing closing \""), ("S3CRET", "Q='s3cret' b", 1, "unexpected text after the closing quote")])
    func aBrokenEnvFileNamesTheLineAndNeverTheValue(_ secret: String, _ text: String, _ line: Int, _ message: String) throws {
        let (outcome, _) = try environment(after: [("f.env", text)])
        #expect(outcome.termination == .spawnFailed)
        #expect(outcome.error?.kind == "env_file")
        #expect(outcome.error?.message.hasSuffix("f.env:\(line): \(message)") == true, "\(outcome.error?.message ?? "")")
        #expect(outcome.error?.message.lowercased().contains("s3cret") == false)
    }

    @Test func aMissingEnvFileNamesThePath() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var request = shell("true", in: dir, id: "missing")
        request.child = ChildSetup(envFiles: ["/nonexistent.env"])
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        #expect(outcome.error?.kind == "env_file")
        #expect(outcome.error?.message == "/nonexistent.env: No such file or directory")
        #expect(outcome.error?.path == "/nonexistent.env")
    }

    @Test func aNameLongerThan255CharactersIsSetInFull() throws {
        let name = String(repeating: "LONG_", count: 60) + "NAME"
        let (outcome, env) = try environment(after: [("long.env", "export \(name)=set in full\n")])
        #expect(outcome.termination == .exited && outcome.exitCode == 0, "\(outcome)")
        #expect(env[name] == "set in full")
        #expect(env[String(name.prefix(255))] == nil)
    }

    /// The env-file fuzz target's seeds and findings (Fuzz/corpus/env-file, Fuzz/findings/env-file),
    /// each as the one env file of a run: the command runs, or the run fails naming the env file.
    @Test func theEnvFileFuzzInputsRunOrFailAsEnvFileProblems() throws {
        let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz").path
        var inputs: [String] = []
        for kind in ["corpus", "findings"] {
            let directory = fuzz + "/" + kind + "/env-file"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            inputs += names.filter { !$0.hasPrefix(".") }.sorted().map { directory + "/" + $0 }
        }
        #expect(inputs.count >= 5)
        for input in inputs {
            let dir = TempDirectory()
            defer { dir.remove() }
            try Data(contentsOf: URL(fileURLWithPath: input)).write(to: URL(fileURLWithPath: dir.file("input.env")))
            var request = SpawnRequest(id: "env", arguments: ["/usr/bin/env"], environment: basicEnvironment, workingDirectory: dir.path,
                                       logPath: dir.file("env.log"), timeout: .seconds(30))
            request.child = ChildSetup(envFiles: [dir.file("input.env")])
            let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
            let ran = outcome.termination == .exited && outcome.exitCode == 0
            let refused = outcome.termination == .spawnFailed && outcome.error?.kind == "env_file"
            #expect(ran || refused, "\(input): \(outcome)")
        }
    }

    @Test func umaskAndLimitsAreTheCommands() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var request = shell("umask; ulimit -n; ulimit -c; ulimit -f; cut -d' ' -f19 /proc/self/stat", in: dir, id: "limits")
        request.child = ChildSetup(umask: 0o027, limits: ["open_files": 16, "core": 0, "file_size": 1 << 20], nice: 7)
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        #expect(outcome.exitCode == 0, "\(outcome)")
        // dash counts `ulimit -f` in 512-byte blocks.
        #expect(dir.read("limits.log") == "0027\n16\n0\n2048\n7\n")
    }

    @Test func aCPULimitEndsTheRunNamingIt() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var request = shell("while :; do :; done", in: dir, id: "cpu", timeout: .seconds(20))
        request.child = ChildSetup(limits: ["cpu_time": 1])
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        #expect(outcome.signal == SIGXCPU)
        #expect(outcome.limit?.name == "cpu_time")
        #expect(outcome.limit?.message == "cpu_time limit 1s reached (killed by SIGXCPU)")
        #expect(outcome.runOutcome.limitReached == ExecutionFailure(kind: "limit", message: "cpu_time limit 1s reached (killed by SIGXCPU)"))
    }

    @Test func aMemoryLimitIsOnlyAGuessFromTheSignal() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        // The address-space limit makes allocations fail; a program that then crashes is
        // recorded as probably ended by it, and says that this is a guess.
        var request = shell("ulimit -v; kill -SEGV $$", in: dir, id: "memory")
        request.child = ChildSetup(limits: ["memory": 64 << 20])
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        #expect(dir.read("memory.log") == "65536\n")
        #expect(outcome.limit?.name == "memory")
        #expect(outcome.limit?.message.hasPrefix("memory limit 64MiB probably reached: killed by signal 11") == true, "\(outcome.limit?.message ?? "")")
        #expect(outcome.limit?.message.contains("this is a guess") == true)
        // Without the limit the same end is a plain signal.
        let (_, plain) = try SupervisorHarness(dir: dir).run(shell("kill -SEGV $$", in: dir, id: "plain"))
        #expect(plain.signal == SIGSEGV && plain.limit == nil)
    }

    @Test func aLimitTheUserMayNotRaiseIsAnOutcome() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var request = shell("true", in: dir, id: "raise")
        request.child = ChildSetup(limits: ["open_files": Int64(1 << 30)])
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        #expect(outcome.termination == .spawnFailed)
        #expect(outcome.error?.kind == "limit")
        #expect(outcome.error?.message.hasPrefix("cannot set limits.open_files to 1073741824: ") == true, "\(outcome.error?.message ?? "")")
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to run a command as nobody"))
    func theCommandRunsAsTheGivenUser() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        chmod(dir.path, 0o755)
        let nobody = try #require(getpwnam("nobody")).pointee
        var request = shell("id -u; id -g; id -G", in: dir, id: "who")
        request.child = ChildSetup(credentials: .init(uid: nobody.pw_uid, gid: nobody.pw_gid, groups: [nobody.pw_gid, 0]))
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        #expect(outcome.exitCode == 0)
        #expect(dir.read("who.log") == "\(nobody.pw_uid)\n\(nobody.pw_gid)\n\(nobody.pw_gid) 0\n")
        // The log stays the supervisor's (root's): the user only wrote through the pipe. Its
        // group bits become the mask of the ACL it inherits from its job's directory.
        var info = stat()
        stat(dir.file("who.log"), &info)
        #expect(info.st_uid == 0 && info.st_mode & 0o777 == 0o640)
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to run a command as nobody"))
    func aWorkdirTheUserCannotEnterIsSpawnPermissionNamingIt() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        chmod(dir.path, 0o755)
        mkdir(dir.file("private"), 0o700)
        let nobody = try #require(getpwnam("nobody")).pointee
        var request = shell("true", in: dir, id: "private")
        request.workingDirectory = dir.file("private")
        request.child = ChildSetup(credentials: .init(uid: nobody.pw_uid, gid: nobody.pw_gid, groups: [nobody.pw_gid]))
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        #expect(outcome.termination == .spawnFailed)
        #expect(outcome.error?.kind == "spawn_permission")
        #expect(outcome.error?.path == dir.file("private"))
        #expect(outcome.error?.message == "working directory \(dir.file("private")): Permission denied")
    }
}
