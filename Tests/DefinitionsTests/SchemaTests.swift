import Foundation
import Testing
import TestSupport
@testable import Definitions

/// `jobdir schema` against the parser: the examples pass both; the broken
/// corpus fails both, except where a file says the schema cannot see its problem.
@Suite struct SchemaTests {
    /// Runs the Python checker (jsonschema + PyYAML) over `files`.
    func schemaErrors(_ files: [String]) throws -> [String: [String]] {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let schemaFile = try dir.write("schema.json", JobSchema.text)
        let script = ProcessRunner.packageRoot + "/Tests/DefinitionsTests/schema_check.py"
        let result = try ProcessRunner.run(ProcessRunner.python.executable, ProcessRunner.python.arguments + [script, schemaFile] + files)
        guard result.status == 0 else {
            Issue.record("schema_check.py failed (needs jsonschema and PyYAML: run Scripts/test.sh, which makes .build/venv, or set JOBDIR_PYTHON): \(result.stderr)")
            return [:]
        }
        return try JSONDecoder().decode([String: [String]].self, from: Data(result.stdout.utf8))
    }

    @Test func schemaIsValidJSON() throws {
        let object = try JSONSerialization.jsonObject(with: Data(JobSchema.text.utf8)) as? [String: Any]
        #expect(object?["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let properties = try #require(object?["properties"] as? [String: Any])
        #expect(Set(properties.keys) == Set(JobKeys.all))
    }

    @Test func everyExampleIsValidForSchemaAndParser() throws {
        let examples = ProcessRunner.packageRoot + "/jobs.example"
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Copy with the mode the daemon requires, whatever the checkout's umask was.
        let result = try ProcessRunner.run("/bin/cp", ["-R", examples + "/.", directory.path])
        #expect(result.status == 0)
        _ = try ProcessRunner.run("/bin/chmod", ["-R", "go-w", directory.path])
        let catalog = JobDirectory(root: directory.path).loadAll()
        #expect(catalog.problems.isEmpty, "\(catalog.problems)")
        #expect(catalog.definitions.count >= 10)
        let jobFiles = catalog.files.filter { !$0.hasSuffix("/_defaults.yaml") }
        let errors = try schemaErrors(jobFiles)
        #expect(errors.count == jobFiles.count)
        for (file, messages) in errors {
            #expect(messages.isEmpty, "\(file): \(messages)")
        }
    }

    @Test func brokenFilesFailTheSchemaToo() throws {
        var checked: [String] = []
        var expectations: [String: String] = [:]
        for name in CorpusTests.files {
            let path = CorpusTests.corpus + "/" + name
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            let schema = CorpusTests.expectations(in: text).schema
            #expect(["invalid", "valid", "parser-only"].contains(schema), "\(name) lacks a # schema line")
            guard schema != "parser-only" else { continue }
            checked.append(path)
            expectations[path] = schema
        }
        let errors = try schemaErrors(checked)
        for path in checked {
            let messages = errors[path] ?? []
            if expectations[path] == "invalid" {
                #expect(!messages.isEmpty, "schema accepts \(path)")
            } else {
                #expect(messages.isEmpty, "schema rejects \(path), marked as a blind spot: \(messages)")
            }
        }
        #expect(checked.count >= 18)
    }
}
