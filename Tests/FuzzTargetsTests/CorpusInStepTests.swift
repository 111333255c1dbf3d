import Foundation
import Testing

/// The job-file seeds hold every example of `jobs.example/` (alone and after its
/// `_defaults.yaml`) and every file of the parser's invalid corpus, byte for byte, so
/// keys added to either reach the fuzzer. To refresh: copy the file to
/// `Fuzz/corpus/job-file/` under the name the failure gives.
struct CorpusInStepTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let corpus = root + "/Fuzz/corpus/job-file/"

    /// Every file under `directory` whose name ends in `suffix`, as paths relative to it.
    static func files(under directory: String, suffix: String) -> [String] {
        let all = FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []
        return all.filter { $0.hasSuffix(suffix) }.sorted()
    }

    static func seed(_ name: String) -> Data? { FileManager.default.contents(atPath: corpus + name) }

    @Test func everyExampleIsASeed() throws {
        let examples = Self.root + "/jobs.example/"
        let defaults = try #require(FileManager.default.contents(atPath: examples + "_defaults.yaml"))
        let names = Self.files(under: examples, suffix: ".yaml")
        #expect(names.count >= 10)
        for name in names {
            let content = try #require(FileManager.default.contents(atPath: examples + name))
            let seed = "jobs.example_" + name.replacingOccurrences(of: "/", with: "_")
            #expect(Self.seed(seed) == content, "jobs.example/\(name) is not Fuzz/corpus/job-file/\(seed)")
            #expect(Self.seed("with-defaults_" + seed) == defaults + Data([0]) + content,
                    "jobs.example/\(name) after _defaults.yaml is not Fuzz/corpus/job-file/with-defaults_\(seed)")
        }
    }

    @Test func everyInvalidFileIsASeed() throws {
        let invalid = Self.root + "/Tests/DefinitionsTests/Corpus/invalid/"
        let names = Self.files(under: invalid, suffix: "")
        #expect(names.count >= 20)
        for name in names {
            let content = try #require(FileManager.default.contents(atPath: invalid + name))
            #expect(Self.seed("invalid_" + name) == content, "Corpus/invalid/\(name) is not Fuzz/corpus/job-file/invalid_\(name)")
        }
    }
}
