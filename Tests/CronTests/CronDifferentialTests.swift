import Cron
import Foundation
import Testing
import TestSupport

/// Compares the engine with the reference, Python's cronsim, on a seeded random corpus.
@Suite struct CronDifferentialTests {
    static let seed: UInt64 = 0x6A6F_6264_6972_0003
    static let caseCount = 50_000
    static let firesPerCase = 5
    static let zones = CronCorpusGenerator.zones

    struct Case {
        var expression: String
        var zone: String
        var start: Int64
    }

    /// The corpus (see `CronCorpusGenerator.nextCase`); the benchmark draws the same one.
    static func corpus() throws -> [Case] {
        var generator = CronCorpusGenerator(seed: seed)
        let points = try zones.map { CronCorpusGenerator.clusterPoints(of: try TimeZoneRules(named: $0)) }
        return (0..<caseCount).map { _ in
            let c = generator.nextCase(clusterPoints: points)
            return Case(expression: c.expression, zone: zones[c.zone], start: c.start)
        }
    }

    @Test func agreesWithCronsimOnRandomCorpus() async throws {
        print("cron differential test: seed 0x\(String(Self.seed, radix: 16)), \(Self.caseCount) cases, \(Self.firesPerCase) fires each")
        let cases = try Self.corpus()
        Self.expectEveryFeatureCovered(cases.map(\.expression))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cron-differential-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.tsv")
        let output = directory.appendingPathComponent("out.tsv")
        var text = ""
        for c in cases { text += "\(c.expression)\t\(c.zone)\t\(c.start)\t\(Self.firesPerCase)\n" }
        try Data(text.utf8).write(to: input)

        let answers = try await Self.runOracle(input: input, output: output)
        try #require(answers.count == cases.count, "the oracle answered \(answers.count) of \(cases.count) cases")

        var rules = [String: TimeZoneRules]()
        for zone in Self.zones { rules[zone] = try TimeZoneRules(named: zone) }
        var mismatches = [String]()
        var compared = (fires: 0, rejections: 0)
        var timeouts = [String]()
        for (c, answer) in zip(cases, answers) {
            if answer == "timeout" {
                timeouts.append("\(c.expression) | \(c.zone) | start \(c.start)")
                continue
            }
            let zone = rules[c.zone] ?? .utc
            var ours: String
            do {
                let expression = try CronExpression(c.expression)
                var fires = [String]()
                var after = c.start
                while fires.count < Self.firesPerCase, let next = expression.nextFire(afterUTC: after, in: zone) {
                    fires.append(String(next))
                    after = next
                }
                ours = (["ok"] + fires).joined(separator: " ")
            } catch {
                // Never-firing expressions are refused here; cronsim accepts them and yields nothing.
                ours = answer == "ok" ? "ok" : "error"
            }
            let theirs = answer.hasPrefix("error") ? "error" : answer
            if ours == "error" { compared.rejections += 1 } else { compared.fires += 1 }
            if ours != theirs {
                mismatches.append("\(c.expression) | \(c.zone) | start \(c.start): cronsim \(answer) | ours \(ours)")
            }
        }
        print("cron differential test: \(compared.fires) cases with fire times, \(compared.rejections) rejected, \(mismatches.count) mismatches")
        for line in mismatches.prefix(30) { print("MISMATCH " + line) }
        for line in timeouts { print("cronsim never answered (not compared): " + line) }
        #expect(timeouts.count <= Self.caseCount / 10_000, "cronsim timed out on \(timeouts.count) cases")
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches with cronsim (seed 0x\(String(Self.seed, radix: 16)))")
    }

    /// The corpus must exercise every syntax feature, each many times.
    static func expectEveryFeatureCovered(_ expressions: [String]) {
        func fields(_ text: String) -> [Substring] { text.uppercased().split(whereSeparator: \.isWhitespace) }
        let features: [(String, (String) -> Bool)] = [
            ("macro", { $0.hasPrefix("@") }),
            ("6 fields", { fields($0).count == 6 }),
            ("list", { $0.contains(",") }),
            ("range", { $0.contains("-") }),
            ("step", { $0.contains("/") }),
            ("range with step", { $0.range(of: #"\d+-\d+/\d+"#, options: .regularExpression) != nil }),
            ("month name", { text in CronFieldNames.months.contains { text.uppercased().contains($0) } }),
            ("day name", { text in CronFieldNames.days.contains { text.uppercased().contains($0) } }),
            ("L", { fields($0).count == 5 && fields($0)[2].split(separator: ",").contains("L") }),
            ("LW", { fields($0).count == 5 && fields($0)[2].contains("LW") }),
            ("nL", { fields($0).count == 5 && fields($0)[4].range(of: #"\dL"#, options: .regularExpression) != nil }),
            ("#n", { $0.contains("#") }),
            ("7 = Sunday", { fields($0).count == 5 && fields($0)[4].contains("7") }),
            ("OR rule", { fields($0).count == 5 && !fields($0)[2].hasPrefix("*") && !fields($0)[4].hasPrefix("*") }),
            ("AND rule", { fields($0).count == 5 && fields($0)[2] != "*" && fields($0)[4].hasPrefix("*") }),
            ("DST fix-up", { fields($0).count == 5 && !fields($0)[0].hasPrefix("*") && !fields($0)[1].hasPrefix("*") }),
        ]
        for (name, test) in features {
            let count = expressions.filter(test).count
            #expect(count >= 100, "the corpus has \(count) expressions with \(name)")
        }
    }

    enum CronFieldNames {
        static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        static let days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
    }

    /// Runs the cronsim oracle script; fails with an install hint if python3 or cronsim is missing.
    /// It waits for the oracle without holding a thread: the other suites go on meanwhile.
    static func runOracle(input: URL, output: URL) async throws -> [String] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("differential/cronsim_oracle.py")
        let python = ProcessRunner.python
        let errorsFile = output.deletingLastPathComponent().appendingPathComponent("stderr")
        let status: Int32
        do {
            let child = try ChildProcess(python.executable, python.arguments + [script.path, input.path, output.path],
                                         stderr: .file(errorsFile.path))
            status = await child.ended()
        } catch {
            Issue.record("cannot run python3 (\(error)); run Scripts/test.sh, which makes .build/venv with cronsim, or set JOBDIR_PYTHON")
            throw error
        }
        guard status == 0 else {
            let message = (try? String(contentsOf: errorsFile, encoding: .utf8)) ?? ""
            Issue.record("the cronsim oracle failed (exit \(status)): \(message) — cronsim is needed: run Scripts/test.sh (it makes .build/venv) or set JOBDIR_PYTHON")
            throw OracleFailure()
        }
        let text = try String(contentsOf: output, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    struct OracleFailure: Error {}
}
