import ArgumentParser
import Cron
import Definitions
import Foundation

/// `jobdir list`: every job file with its triggers, next due time, last state and labels.
struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Lists jobs, triggers, next due times and last state.")
    @OptionGroup var directories: DirectoryOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let now = Date()
        let zone = TimeZoneRules.current()
        let listings: [JobListing]
        do {
            listings = try JobListing.load(JobDirectory(root: directories.jobs), state: StateReader(root: directories.state, verb: "list"),
                                           now: now, zone: zone)
        } catch {
            throw Console.failure("list", "cannot read the jobs directory \(directories.jobs) (\(error.message)); give --jobs DIR or set JOBDIR_JOBS")
        }
        if json {
            Console.out(try JSONOutput.render(listings.map(\.json)))
            return
        }
        guard !listings.isEmpty else {
            Console.out("no job files in \(directories.jobs)\n")
            return
        }
        Console.out(Self.table(listings, now: now, zone: zone))
        let invalid = listings.filter { !$0.isValid }.count
        if invalid > 0 {
            Console.out("\(invalid) of \(listings.count) job files invalid; `jobdir validate` shows every problem\n")
        }
    }

    /// ID, TRIGGERS, NEXT DUE, LAST, LABELS and, when the terminal is wide enough, DESCRIPTION.
    static func table(_ listings: [JobListing], now: Date, zone: TimeZoneRules) -> String {
        let table = TableFormatter(columns: [
            .init(title: "ID"),
            .init(title: "TRIGGERS", flexible: true, minimumWidth: 16),
            .init(title: "NEXT DUE"),
            .init(title: "LAST"),
            .init(title: "LABELS", flexible: true, minimumWidth: 8),
            .init(title: "DESCRIPTION", flexible: true, minimumWidth: 20, optional: true),
        ])
        return table.render(listings.map { listing in
            guard let problem = listing.problem else {
                return [
                    listing.id, listing.triggers?.text ?? "-",
                    listing.nextDue.map { TimeText.moment($0, now: now, zone: zone) } ?? "-",
                    listing.lastState ?? "-", listing.labelsText.isEmpty ? "-" : listing.labelsText,
                    listing.definition?.description.map(Console.oneLine) ?? "",
                ]
            }
            let message = "invalid: line \(problem.line): " + Console.oneLine(problem.message)
            return [listing.id, message, "-", listing.lastState ?? "-", "-", ""]
        })
    }
}
