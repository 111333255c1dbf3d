import ArgumentParser
import Foundation

/// `jobdir logs EXECUTION [--follow]`: prints an execution's combined output.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Prints an execution's output.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "An execution id.", completion: ShellCompletion.liveExecutionIDs) var execution: String
    @Flag(help: "Follow until the execution ends.") var follow = false

    func run() async throws {
        let reader = StateReader(root: directories.state, verb: "logs")
        var follower = LogFollower(reader: reader, record: try reader.requireRecord(execution, jobs: { ClosestMatch.jobs(in: directories.jobs).match.ids }))
        if follow && !follower.record.state.isTerminal {
            if !DaemonPresence(layout: reader.layout).isRunning {
                Console.notice("logs", "no daemon is running on this state directory; \(execution) stays \(follower.record.state.rawValue) until `jobdir run` starts")
            }
            do { try follower.follow() } catch { throw Console.failure("logs", "cannot follow \(follower.logPath): \(error)") }
            return
        }
        guard !follower.copyAvailable() else { return }
        let record = follower.record
        if let tail = record.output?.tail, !tail.isEmpty {
            Console.notice("logs", "\(follower.logPath) is gone; printing the last bytes kept in the record")
            Console.out(tail)
        } else if record.state.isTerminal {
            Console.notice("logs", "\(execution) has no output (\(record.state.rawValue))")
        } else {
            Console.notice("logs", "\(execution) has no output yet (\(record.state.rawValue)); --follow waits for it")
        }
    }
}
