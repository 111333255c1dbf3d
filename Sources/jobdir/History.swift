import ArgumentParser
import Cron
import Foundation
import Scheduling
import StateStore

/// `jobdir history JOB`: a job's execution records, newest first.
struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Shows a job's executions, newest first.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "A job id.", completion: ShellCompletion.jobIDs) var job: String
    @Option(help: "At most this many.") var limit: Int?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let reader = StateReader(root: directories.state, verb: "history")
        let all = StateLayout.isSafeJobID(job) ? try reader.records(job: job) : []
        if all.isEmpty {
            let known = ClosestMatch.jobs(in: directories.jobs, extra: reader.results().map(\.job) + reader.jobsWithRecords()).match
            guard known.contains(job) else { throw Console.failure("history", known.unknownJobMessage(job)) }
        }
        let records = Array(all.reversed().prefix(limit ?? Int.max))
        if json {
            Console.out(try JSONOutput.render(encoding: records))
            return
        }
        guard !records.isEmpty else {
            Console.out("no executions of \(job) yet\n")
            return
        }
        let now = Date()
        let zone = TimeZoneRules.current()
        let table = TableFormatter(columns: [
            .init(title: "EXECUTION"), .init(title: "STATE"), .init(title: "STARTED"), .init(title: "DURATION"),
            .init(title: "RESULT", flexible: true, minimumWidth: 6),
        ])
        Console.out(table.render(records.map { record in
            [record.id.rawValue, record.state.rawValue, record.startedAt.map { TimeText.moment($0, now: now, zone: zone) } ?? "-",
             record.durationText(now: now), record.resultText]
        }))
        if records.count < all.count {
            Console.out("\(records.count) of \(all.count) executions shown; --limit \(all.count) shows all\n")
        }
    }
}
