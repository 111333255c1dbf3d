import ArgumentParser
import Cron
import Definitions
import Foundation
import Scheduling
import StateStore

/// `jobdir next`: upcoming fire times of a job or of a cron expression.
struct Next: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "next", abstract: "Prints upcoming fire times of a job or a cron expression.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "A job id.") var job: String?
    @Option(help: "A cron expression instead of a job.") var cron: String?
    @Option(help: "IANA time zone for --cron (default: the local zone).") var timezone: String?
    @Option(name: .short, help: "How many times.") var n: Int = 5
    @Option(help: "Start after this RFC 3339 time (default: now).") var after: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if job != nil && cron != nil { throw ValidationError("give a job id or --cron, not both") }
        if job == nil && cron == nil { throw ValidationError("give a job id or --cron EXPR") }
        if job != nil && timezone != nil { throw ValidationError("--timezone applies to --cron only (a job has its own timezone)") }
        if n < 1 || n > 100_000 { throw ValidationError("-n must be between 1 and 100000") }
    }

    func run() async throws {
        var start = Date()
        if let after {
            guard let parsed = RFC3339.parse(after) else {
                throw Self.failure("--after: `\(after)` is not an RFC 3339 time (e.g. 2026-03-29T01:00:00Z)")
            }
            start = parsed
        }
        guard let cron else { return try nextOfJob(job ?? "", after: start) }
        let expression: CronExpression
        do {
            expression = try CronExpression(cron)
        } catch {
            throw Self.failure("invalid cron expression `\(cron)`: \(error.message)")
        }
        let zone: TimeZoneRules
        if let timezone {
            do {
                zone = try TimeZoneRules(named: timezone)
            } catch {
                throw Self.failure(error.message)
            }
        } else {
            zone = TimeZoneRules.current()
        }
        let times = expression.fireTimes(after: start, in: zone, count: n)
        print(json ? Self.json(times, zone: zone) : Self.lines(times, zone: zone), terminator: "")
    }

    /// The next times of a job's `schedule`, `every` and `at` triggers together, in the
    /// job's zone; `every` is anchored where the daemon anchored it (results), else now.
    private func nextOfJob(_ text: String, after start: Date) throws {
        let definition: JobDefinition
        switch JobLookup.definition(text, jobsDirectory: directories.jobs) {
        case .success(let loaded): definition = loaded
        case .failure(let failure): throw Self.failure(failure.message)
        }
        let id = definition.id
        let zone = definition.timezone.flatMap { try? TimeZoneRules(named: $0) } ?? TimeZoneRules.current()
        let resultPath = StateLayout(root: directories.state).resultFile(job: id.rawValue)
        let anchor = (try? AtomicFile.read(resultPath)).flatMap { try? StateJSON.decode(JobResult.self, from: $0, path: resultPath) }?.everyAnchor ?? Date()
        let plan = TriggerPlan(definition: definition, firstSeen: anchor, zone: zone, loadedAt: start)
        var times: [Date] = []
        var cursor = start
        while times.count < n, let next = plan.nextDue(after: cursor).values.min() {
            times.append(next)
            cursor = next
        }
        if times.isEmpty {
            FileHandle.standardError.write(Data("jobdir next: \(text) has no upcoming time-based trigger (schedule, every or at)\n".utf8))
        }
        print(json ? Self.json(times, zone: zone) : Self.lines(times, zone: zone), terminator: "")
    }

    /// A JSON array of RFC 3339 times with the zone's offset.
    static func json(_ times: [Date], zone: TimeZoneRules) -> String {
        if times.isEmpty { return "[]\n" }
        return "[\n" + times.map { "  \"\(RFC3339.format($0, in: zone))\"" }.joined(separator: ",\n") + "\n]\n"
    }

    /// One line per time: weekday, local time with offset and zone, then UTC.
    static func lines(_ times: [Date], zone: TimeZoneRules) -> String {
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        return times.map { time in
            let seconds = Int64(time.timeIntervalSince1970.rounded(.down))
            let offset = zone.offset(atUTC: seconds)
            let day = Int(((seconds + offset).quotientAndRemainderFloor(by: 86_400) + 4) % 7)
            let local = RFC3339.format(utcSeconds: seconds, offsetSeconds: offset)
            let utc = RFC3339.format(utcSeconds: seconds, offsetSeconds: 0, zulu: true)
            return "\(weekdays[day]) \(local) (\(zone.identifier))  \(utc)\n"
        }.joined()
    }

    /// One line on stderr, exit status 1.
    static func failure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("jobdir next: \(message)\n".utf8))
        return ExitCode(1)
    }
}

private extension Int64 {
    /// Quotient rounded toward negative infinity.
    func quotientAndRemainderFloor(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return self % divisor < 0 ? q - 1 : q
    }
}
