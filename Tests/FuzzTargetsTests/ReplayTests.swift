import Foundation
import FuzzTargets
import Testing

/// The committed seeds and every input a fuzz run kept as a finding, through the same
/// target functions libFuzzer drives, without the fuzzer. A broken property stops the
/// test process, so a finding that is not fixed fails `swift test`.
struct ReplayTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz").path

    static func files(_ kind: String, _ target: FuzzTarget) -> [String] {
        let directory = fuzzDirectory + "/" + kind + "/" + target.rawValue
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory + "/" + $0 }
    }

    @Test("every target has seeds", arguments: FuzzTarget.allCases)
    func seedsExist(target: FuzzTarget) {
        #expect(Self.files("corpus", target).count >= 5)
    }

    @Test("seeds run through their target", arguments: FuzzTarget.allCases)
    func seeds(target: FuzzTarget) throws {
        for path in Self.files("corpus", target) {
            target.run([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        }
    }

    @Test("kept findings run through their target", arguments: FuzzTarget.allCases)
    func findings(target: FuzzTarget) throws {
        for path in Self.files("findings", target) {
            target.run([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        }
    }
}
