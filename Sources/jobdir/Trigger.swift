import ArgumentParser
import Definitions
import Glibc
import StateStore

/// `jobdir trigger JOB`: drops `state/triggers/<job-id>` (or `<job-id>@<8 hex>` when an
/// earlier request is still there), so the daemon runs the job now.
struct Trigger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trigger", abstract: "Runs a job now.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "A job id.", completion: ShellCompletion.jobIDs) var job: String
    @Option(name: .customLong("env"), help: "K=V added to the run's environment (repeatable).") var env: [String] = []

    func validate() throws {
        for text in env { _ = try EnvAssignment(text) }
    }

    func run() async throws {
        let (known, problem) = ClosestMatch.jobs(in: directories.jobs)
        if let problem { throw Console.failure("trigger", problem) }
        guard known.contains(job) else { throw Console.failure("trigger", known.unknownJobMessage(job)) }
        var bytes: [UInt8] = []
        if !env.isEmpty {
            var values: [String: String] = [:]
            for text in env {
                let assignment = try EnvAssignment(text)
                values[assignment.name] = assignment.value
            }
            bytes = Array(try JSONOutput.render(["env": values]).utf8)
        }
        let layout = StateLayout(root: directories.state)
        var path = layout.triggerFile(job: job)
        do {
            while try !RequestDrop.createOnce(bytes, at: path) {
                let hex = String(UInt32.random(in: 0...UInt32.max), radix: 16)
                path = layout.triggerFile(job: job) + "@" + String(repeating: "0", count: 8 - hex.count) + hex
            }
        } catch where error.code == ENOTDIR {
            throw Console.failure("trigger", "cannot drop a request for \(job): \(error); a pending request of a job named "
                + "like its parent directory is in the way, try again once the daemon has taken it")
        } catch {
            throw Console.failure("trigger", "cannot drop a request for \(job): \(error)")
        }
        Console.out("requested a run of \(job) (\(path))\n")
        if !DaemonPresence(layout: layout).isRunning {
            Console.notice("trigger", DaemonPresence.waitingNotice(for: "the request"))
        }
    }
}
