import Foundation
import Testing
import TestSupport
@testable import Definitions

/// The broken files under Corpus/invalid: each names the problems it must
/// produce (`# expect: LINE:COLUMN: message prefix`) and whether the JSON
/// Schema can see them too (`# schema: invalid | valid | parser-only`).
@Suite struct CorpusTests {
    static let corpus = ProcessRunner.packageRoot + "/Tests/DefinitionsTests/Corpus/invalid"

    struct Expectation: Equatable, CustomStringConvertible {
        var line: Int
        var column: Int
        var prefix: String
        var description: String { "\(line):\(column): \(prefix)" }
    }

    static func expectations(in text: String) -> (problems: [Expectation], schema: String) {
        var found: [Expectation] = []
        var schema = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# expect: ") {
                let parts = line.dropFirst("# expect: ".count).split(separator: ":", maxSplits: 2)
                found.append(Expectation(line: Int(parts[0])!, column: Int(parts[1])!, prefix: parts[2].trimmingCharacters(in: .whitespaces)))
            } else if line.hasPrefix("# schema: ") {
                schema = String(line.dropFirst("# schema: ".count))
            }
        }
        return (found, schema)
    }

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test func corpusIsThere() {
        #expect(Self.files.count >= 25)
    }

    @Test(arguments: files)
    func parserReportsExactlyTheExpectedProblems(name: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.corpus + "/" + name))
        try bytes.write(to: URL(fileURLWithPath: dir.url(name)))
        chmod(dir.url(name), 0o644)
        let (expected, _) = Self.expectations(in: String(decoding: bytes, as: UTF8.self))
        #expect(!expected.isEmpty, "\(name) has no # expect line")
        let load = try #require(JobDirectory(root: dir.path).load(name, defaults: .absent))
        guard case .failure(let problems) = load.result else {
            Issue.record("\(name) was accepted")
            return
        }
        #expect(problems.items.count == expected.count, "\(problems)")
        for expectation in expected {
            #expect(problems.items.contains { $0.line == expectation.line && $0.column == expectation.column && $0.message.hasPrefix(expectation.prefix) },
                    "\(name): expected \(expectation), got \(problems)")
        }
    }
}
