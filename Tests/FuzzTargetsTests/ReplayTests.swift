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
        ReplayDeadline.shared.run("\(target.rawValue) \(path)") { target.run(bytes) }
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

/// A bound on each replayed input: a watchdog thread that, when one input has run for
/// longer than `seconds`, names it on stderr and aborts the test process. libFuzzer
/// gives one input 10 s in a release build (Scripts/fuzz.sh); a debug build on a busy
/// machine gets more.
final class ReplayDeadline: @unchecked Sendable {
    static let seconds: Double = 60
    static let shared = ReplayDeadline()

    private let lock = NSLock()
    /// The inputs running now (replays run in parallel across targets), with their start.
    private var running: [Int: (input: String, start: Double)] = [:]
    private var next = 0

    private init() {
        let thread = Thread { [unowned self] in
            while true {
                Thread.sleep(forTimeInterval: 1)
                self.check()
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    func run(_ input: String, _ body: () -> Void) {
        let slot = lock.withLock {
            next += 1
            running[next] = (input, Self.now())
            return next
        }
        body()
        lock.withLock { running[slot] = nil }
    }

    private func check() {
        let late = lock.withLock { running.values.first { Self.now() - $0.start > Self.seconds } }
        guard let late else { return }
        FileHandle.standardError.write(Data("fuzz replay: \(late.input) ran longer than \(Int(Self.seconds)) s (a timeout finding)\n".utf8))
        abort()
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
