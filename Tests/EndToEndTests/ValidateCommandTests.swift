import Foundation
import Testing
import TestSupport

/// `jobdir validate` and `jobdir schema`, run as the real binary.
@Suite struct ValidateCommandTests {
    @Test func validDirectoryExitsZeroWithASummary() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("a.yaml", "command: echo a\n")
        try dir.write("sub/b.yml", "command: [echo, b]\nafter: a\n")
        let result = try ProcessRunner.jobdir(["validate", "--jobs", dir.path])
        #expect(result.status == 0)
        #expect(result.stdout == "2 files checked: all valid\n")
    }

    @Test func invalidFilesExitOneWithOneLinePerProblem() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("a.yaml", "command: echo a\nscedule: '* * * * *'\ntimeout: 5x\n")
        try dir.write("b.yaml", "command: echo b\n")
        let result = try ProcessRunner.jobdir(["validate"], currentDirectory: dir.path, environment: ["JOBDIR_JOBS": "."])
        #expect(result.status == 1)
        #expect(result.stdout == """
        a.yaml:2:1: unknown key `scedule`; did you mean `schedule`?
        a.yaml:3:10: `timeout` must be a duration like 500ms, 90s, 5m, 1h30m or 2d; found `5x`
        2 files checked: 1 invalid, 2 problems

        """)
    }

    @Test func jsonOutputIsAnArrayOfPositions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try dir.write("a.yaml", "description: x\n")
        let result = try ProcessRunner.jobdir(["validate", "--jobs", dir.path, file, "--json"])
        #expect(result.status == 1)
        let items = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(items.count == 1)
        #expect(items.first?["file"] as? String == file)
        #expect(items.first?["line"] as? Int == 1)
        #expect(items.first?["column"] as? Int == 1)
        #expect((items.first?["message"] as? String)?.hasPrefix("missing required key `command`") == true)
    }

    @Test func singleFilesUseTheirDirectorysDefaultsAndIDs() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("_defaults.yaml", "retries: many\n")
        try dir.write("up.yaml", "command: echo\n")
        let file = try dir.write("down.yaml", "command: echo\nafter: upp\n")
        let result = try ProcessRunner.jobdir(["validate", "--jobs", dir.path, file])
        #expect(result.status == 1)
        #expect(result.stdout.contains("down.yaml:1:1: not loaded: \(dir.path)/_defaults.yaml has errors; fix it first"))
        try dir.write("_defaults.yaml", "retries: 1\n")
        let second = try ProcessRunner.jobdir(["validate", "--jobs", dir.path, file])
        #expect(second.stdout.contains("down.yaml:2:8: `after`: no job `upp`; did you mean `up`?"))
    }

    @Test func shippedExamplesValidate() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try ProcessRunner.run("/bin/cp", ["-R", ProcessRunner.packageRoot + "/jobs.example/.", dir.path])
        _ = try ProcessRunner.run("/bin/chmod", ["-R", "go-w", dir.path])
        let result = try ProcessRunner.jobdir(["validate", "--jobs", dir.path])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.hasSuffix("all valid\n"))
    }

    @Test func usageErrorsExitTwo() throws {
        let result = try ProcessRunner.jobdir(["validate", "--no-such-flag"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("Unknown option '--no-such-flag'"))
        #expect(try ProcessRunner.jobdir(["no-such-verb"]).status == 2)
    }

    @Test func schemaPrintsJSONSchema() throws {
        let result = try ProcessRunner.jobdir(["schema"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
    }
}
