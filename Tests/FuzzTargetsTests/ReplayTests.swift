import Foundation
import FuzzTargets
import Glibc
import Testing

/// The committed seeds and every input a fuzz run kept as a finding, through the same
/// target functions libFuzzer drives, without the fuzzer. A broken property stops the
/// test process, so a finding that is not fixed fails `swift test`; so does an input
/// that runs longer than `ReplayDeadline.seconds` (a timeout finding), instead of hanging it.
struct ReplayTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz").path

    static func files(_ kind: String, _ target: FuzzTarget) -> [String] {
        let directory = fuzzDirectory + "/" + kind + "/" + target.rawValue
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory + "/" + $0 }
    }

    static func replay(_ path: String, through target: FuzzTarget) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        ReplayDeadline.run("\(target.rawValue) \(path)") { target.run(bytes) }
    }

    @Test("every target has seeds", arguments: FuzzTarget.allCases)
    func seedsExist(target: FuzzTarget) {
        #expect(Self.files("corpus", target).count >= 5)
    }

    @Test("seeds run through their target", arguments: FuzzTarget.allCases)
    func seeds(target: FuzzTarget) throws {
        for path in Self.files("corpus", target) { try Self.replay(path, through: target) }
    }

    @Test("kept findings run through their target", arguments: FuzzTarget.allCases)
    func findings(target: FuzzTarget) throws {
        for path in Self.files("findings", target) { try Self.replay(path, through: target) }
    }
}

/// A bound on each replayed input: a watchdog armed for `seconds` when the input starts
/// and canceled when it ends; if it fires, it names the input on stderr and aborts the
/// test process. libFuzzer gives one input 10 s in a release build (Scripts/fuzz.sh); a
/// debug build on a busy machine gets more.
enum ReplayDeadline {
    static let seconds: Double = 60

    static func run(_ input: String, _ body: () -> Void) {
        let watchdog = DispatchWorkItem {
            FileHandle.standardError.write(Data("fuzz replay: \(input) ran longer than \(Int(seconds)) s (a timeout finding)\n".utf8))
            abort()
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
        body()
        watchdog.cancel()
    }
}
