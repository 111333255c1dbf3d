import Foundation
import Glibc
import Testing
@testable import Execution

@Suite(.serialized) struct SpawnFailureTests {
    let runner = ProcessRunner()

    func failure(_ arguments: [String], workdir: String? = nil, in dir: TempDirectory) async -> SpawnFailure? {
        let outcome = await runner.run(SpawnRequest(id: "f", arguments: arguments, environment: basicEnvironment,
                                                    workingDirectory: workdir, logPath: dir.file("f.log")))
        guard case .spawnFailed(let failure) = outcome.termination else { return nil }
        #expect(outcome.process == nil)
        return failure
    }

    @Test func missingBinary() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let f = try #require(await failure(["/nonexistent/bin/tool", "x"], in: dir))
        #expect(f.kind == "spawn_not_found")
        #expect(f.message == "/nonexistent/bin/tool: No such file or directory")
        let g = try #require(await failure(["no-such-command-jobdir"], in: dir))
        #expect(g.kind == "spawn_not_found")
        #expect(g.message == "command `no-such-command-jobdir` not found in PATH (/usr/local/bin:/usr/bin:/bin)")
    }

    @Test func badWorkingDirectory() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let f = try #require(await failure(["/bin/true"], workdir: dir.file("missing"), in: dir))
        #expect(f.kind == "spawn_bad_workdir")
        #expect(f.message == "working directory \(dir.file("missing")): No such file or directory")
        dir.write("plain", "x")
        let g = try #require(await failure(["/bin/true"], workdir: dir.file("plain"), in: dir))
        #expect(g.kind == "spawn_bad_workdir")
        #expect(g.message == "working directory \(dir.file("plain")) is not a directory")
    }

    @Test func permissionDenied() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        dir.write("script.sh", "#!/bin/sh\necho hi\n", mode: 0o644)
        let f = try #require(await failure([dir.file("script.sh")], in: dir))
        #expect(f.kind == "spawn_permission")
        #expect(f.message.hasPrefix("\(dir.file("script.sh")): not executable"))
        let g = try #require(await failure([dir.path], in: dir))
        #expect(g.kind == "spawn_permission")
        #expect(g.message == "\(dir.path) is a directory")
    }

    @Test func relativeProgramIsRelativeToTheWorkingDirectory() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        dir.write("run.sh", "#!/bin/sh\necho ran in $(pwd)\n", mode: 0o755)
        let outcome = await runner.run(SpawnRequest(id: "r", arguments: ["./run.sh"], environment: basicEnvironment,
                                                    workingDirectory: dir.path, logPath: dir.file("r.log")))
        #expect(outcome.termination == .exited(code: 0))
        #expect(dir.read("r.log") == "ran in \(dir.path)\n")
    }

    @Test func notAnExecutableFormat() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        dir.write("garbage", "\u{7f}ELF-not-really", mode: 0o755)
        let f = try #require(await failure([dir.file("garbage")], in: dir))
        #expect(f.kind == "spawn_exec_format")
        #expect(f.message == "\(dir.file("garbage")): not an executable format")
    }

    @Test func unwritableLog() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let outcome = await runner.run(SpawnRequest(id: "l", arguments: ["/bin/true"], environment: [:],
                                                    logPath: dir.file("no/such/dir/x.log")))
        guard case .spawnFailed(let f) = outcome.termination else { Issue.record("expected a failure"); return }
        #expect(f.kind == "spawn_log")
        #expect(f.message.contains(dir.file("no/such/dir/x.log")))
    }

    @Test func failureMapsToAFailedRecord() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let outcome = await runner.run(SpawnRequest(id: "m", arguments: ["/nope"], environment: [:], logPath: dir.file("m.log")))
        let result = outcome.runResult(logPath: "logs/j/m.log")
        guard case .spawnFailed(let e) = result.termination else { Issue.record("expected spawnFailed"); return }
        #expect(e.kind == "spawn_not_found" && e.message.contains("/nope"))
    }
}
