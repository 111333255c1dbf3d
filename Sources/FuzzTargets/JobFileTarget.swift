import Definitions

/// Bytes before the first NUL are `_defaults.yaml`; the rest is the job file
/// `fuzzed.yaml` (no NUL: no defaults). Runs what the daemon and `validate` run:
/// `JobDirectory.defaults(from:file:)` and `definition(from:...)`.
enum JobFileTarget {
    static let directory = JobDirectory(root: "/nonexistent/jobs")
    static let id = JobID("fuzzed")!

    static func run(_ bytes: [UInt8]) {
        let split = bytes.firstIndex(of: 0)
        let defaultsFile = directory.path(of: JobPathRules.defaultsFileName)
        let jobFile = directory.path(of: "fuzzed.yaml")
        let defaults: DefaultsFile = split.map { directory.defaults(from: Array(bytes[..<$0]), file: defaultsFile) } ?? .absent
        let job = split.map { Array(bytes[($0 + 1)...]) } ?? bytes
        if case .invalid(_, let problems) = defaults {
            FuzzCheck.expect(!problems.isEmpty, "invalid defaults without a problem")
            checkMarks(problems, file: defaultsFile, bytes: Array(bytes[..<split!]))
        }
        switch directory.definition(from: job, id: id, file: jobFile, relativePath: "fuzzed.yaml", defaults: defaults) {
        case .success(let definition):
            FuzzCheck.expect(definition.id == id, "definition of another job: \(definition.id)")
        case .failure(let diagnostics):
            FuzzCheck.expect(!diagnostics.items.isEmpty, "a refused job file without a problem")
            checkMarks(diagnostics.items, file: jobFile, bytes: job)
        }
    }

    /// Every problem in `file` points at a line and column that exist (libyaml counts
    /// CR, LF, CRLF, NEL, LS and PS as line breaks; the end of the file is one past).
    static func checkMarks(_ problems: [Diagnostic], file: String, bytes: [UInt8]) {
        let breaks = bytes.filter { $0 == 0x0A || $0 == 0x0D || $0 == 0x85 || $0 == 0xA8 || $0 == 0xA9 }.count
        for problem in problems where problem.file == file {
            FuzzCheck.expect(problem.line >= 1 && problem.column >= 1, "position before the file: \(problem)")
            FuzzCheck.expect(problem.line <= breaks + 2, "line past the end of a file with \(breaks) breaks: \(problem)")
        }
    }
}
