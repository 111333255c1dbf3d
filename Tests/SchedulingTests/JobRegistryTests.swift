import Testing
@testable import Definitions
@testable import Scheduling

/// Hot-reload semantics of SPEC section 6, without files.
@Suite struct JobRegistryTests {
    func load(_ path: String, _ yaml: String) -> JobFileLoad {
        let id = JobID(String(path.dropLast(5)))!
        let (root, problems) = YAMLReader(file: path).read(Array(yaml.utf8))
        let result: Result<JobDefinition, Diagnostics> = problems.isEmpty && root != nil
            ? JobFileParser(directory: "/jobs").parse(root!, defaults: nil, id: id, file: path, sha256: SHA256.hex(Array(yaml.utf8)))
            : .failure(Diagnostics(problems))
        return JobFileLoad(relativePath: path, file: path, id: id, result: result)
    }

    @Test func addReplaceInvalidFixRemove() {
        var registry = JobRegistry()
        guard case .added = registry.apply(load("a.yaml", "command: one\n")) else { Issue.record("not added"); return }
        guard case .unchanged = registry.apply(load("a.yaml", "command: one\n")) else { Issue.record("not unchanged"); return }
        guard case .replaced(let old, let new) = registry.apply(load("a.yaml", "command: two\n")) else { Issue.record("not replaced"); return }
        #expect(old.command == .shell("one") && new.command == .shell("two"))
        guard case .invalid(_, _, let problems, let kept) = registry.apply(load("a.yaml", "command: three\ntimeout: never\n")) else { Issue.record("not invalid"); return }
        #expect(problems.count == 1)
        #expect(kept?.command == .shell("two"), "an invalid edit keeps the last valid definition")
        #expect(registry.definition(JobID("a")!)?.command == .shell("two"))
        #expect(registry.entries[JobID("a")!]?.problems?.count == 1)
        guard case .replaced = registry.apply(load("a.yaml", "command: four\n")) else { Issue.record("fix not applied"); return }
        #expect(registry.entries[JobID("a")!]?.problems == nil)
        guard case .removed(let id, _)? = registry.remove("a.yaml") else { Issue.record("not removed"); return }
        #expect(id == JobID("a")!)
        #expect(registry.definitionCount == 0)
    }

    @Test func aSecondFileWithTheSameIDIsRefused() {
        var registry = JobRegistry()
        _ = registry.apply(load("a.yaml", "command: one\n"))
        var other = load("a.yaml", "command: two\n")
        other.relativePath = "a.yml"
        other.file = "a.yml"
        guard case .invalid(_, _, let problems, nil) = registry.apply(other) else { Issue.record("duplicate accepted"); return }
        #expect(problems.first?.message == "duplicate job id `a`: already defined by a.yaml")
        #expect(registry.definition(JobID("a")!)?.command == .shell("one"))
    }
}
