import ArgumentParser
import Cron
import Foundation
import StateStore

/// `jobdir status [JOB]`: the daemon, running, queued and waiting executions, failing
/// jobs and definition errors.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Shows running, queued, waiting and failing jobs.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "A job id.", completion: ShellCompletion.jobIDs) var job: String?
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Show the fleet as etcd holds it: hosts, labels, leases, who holds or ran each recent occurrence.") var fleet = false

    func run() async throws {
        let reader = StateReader(root: directories.state, verb: "status")
        if fleet {
            guard let view = FleetView(layout: reader.layout) else {
                throw Console.failure("status", "no fleet.json in \(directories.state): its daemon does not run with --fleet")
            }
            let report = try FleetReport(view: view)
            Console.out(json ? try JSONOutput.render(report.json()) : report.text(now: Date()))
            return
        }
        if let job {
            let results = reader.results().map(\.job)
            let known = ClosestMatch.jobs(in: directories.jobs, extra: results + reader.jobsWithRecords()).match
            guard StateLayout.isSafeJobID(job), known.contains(job) else {
                throw Console.failure("status", known.unknownJobMessage(job))
            }
        }
        let report = StatusReport(reader: reader, job: job, now: Date(),
                                  refused: RefusedRequest.find(jobs: directories.jobs, reader: reader))
        Console.out(json ? try JSONOutput.render(report.json()) : report.text(zone: TimeZoneRules.current()))
    }
}
