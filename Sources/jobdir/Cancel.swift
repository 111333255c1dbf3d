import ArgumentParser
import Cron
import Glibc
import Scheduling
import StateStore

/// `jobdir cancel EXECUTION`: drops `state/cancel/<execution-id>` for a live execution.
struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancels a queued, waiting or running execution.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "An execution id.", completion: ShellCompletion.liveExecutionIDs) var execution: String

    func run() async throws {
        let reader = StateReader(root: directories.state, verb: "cancel")
        if let id = ExecutionID(rawValue: execution), reader.record(id: id) == nil, !reader.canReadRecords {
            // Another user's state: drop the request; the daemon acts on it only if we may
            // cancel the job (its user, root or an operator) and lists it as refused otherwise.
            let path = reader.layout.cancelFile(id: id)
            do { _ = try RequestDrop.createOnce([], at: path) } catch { throw Console.failure("cancel", "cannot drop \(path): \(error)") }
            Console.out("requested cancel of \(execution) (\(path)); the daemon acts on it if you may cancel its job\n")
            return
        }
        let record = try reader.requireRecord(execution, jobs: { ClosestMatch.jobs(in: directories.jobs).match.ids })
        guard !record.state.isTerminal else {
            let when = record.finishedAt.map { " at \(Timestamp.format($0))" } ?? ""
            throw Console.failure("cancel", "\(execution) of \(record.job) already ended: \(record.state.rawValue)\(when); nothing to cancel")
        }
        let path = reader.layout.cancelFile(id: record.id)
        let created: Bool
        do { created = try RequestDrop.createOnce([], at: path) } catch {
            throw Console.failure("cancel", "cannot drop \(path): \(error)")
        }
        Console.out(created
            ? "requested cancel of \(execution) of \(record.job), \(record.state.rawValue) (\(path))\n"
            : "a cancel request for \(execution) is already waiting (\(path))\n")
        if !DaemonPresence(layout: reader.layout).isRunning {
            Console.notice("cancel", DaemonPresence.waitingNotice(for: "the cancel request"))
        }
    }
}
