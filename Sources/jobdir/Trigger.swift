import ArgumentParser
import Definitions
import Glibc
import Scheduling
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
        let layout = StateLayout(root: directories.state)
        var bytes: [UInt8] = []
        if !env.isEmpty {
            if let refusal = environmentRefusal(layout) { throw Console.failure("trigger", "--env: \(refusal)") }
            var values: [String: String] = [:]
            for text in env {
                let assignment = try EnvAssignment(text)
                values[assignment.name] = assignment.value
            }
            bytes = Array(try JSONOutput.render(["env": values]).utf8)
        }
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

    /// Why the daemon would refuse this user's `--env` for the job (only root, the daemon's
    /// user and the job's user may set it), or nil.
    private func environmentRefusal(_ layout: StateLayout) -> String? {
        guard let id = JobID(job), let definition = JobDirectory(root: directories.jobs).loadAll().definitions[id],
              let fileOwner = definition.fileOwner else { return nil }
        // The daemon's user owns daemon.json; without one, the daemon will run as this user.
        var info = stat()
        let daemonUID = stat(layout.daemonFile, &info) == 0 ? UInt32(info.st_uid) : UInt32(geteuid())
        let named = definition.user.flatMap { RunIdentity.passwd(named: $0.text)?.uid }
        let jobUser = daemonUID == 0 ? named ?? fileOwner : daemonUID
        guard !OperatorAuthority.maySetEnvironment(ownerUID: UInt32(geteuid()), jobUserUID: jobUser, daemonUID: daemonUID) else { return nil }
        return OperatorAuthority.environmentRefusal(jobUserName: RunIdentity.passwd(uid: jobUser)?.name)
    }
}
