import ArgumentParser
import BuildInfo
import Foundation

@main
struct Jobdir: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobdir",
        abstract: "Runs jobs defined as YAML files in a directory.",
        version: BuildInfo.versionLine,
        subcommands: [
            Run.self, Validate.self, Schema.self, List.self, Next.self, Status.self,
            History.self, Logs.self, Trigger.self, Cancel.self, Approve.self, Reject.self, MetricsCommand.self, NotifyTest.self,
        ]
    )

    /// Runs the chosen verb; usage errors exit 2 (SPEC section 7), not 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if let daemon = command as? Run {
                // The daemon's loop blocks in epoll on this thread; see `Run.runBlocking`.
                Foundation.exit(try daemon.runBlocking())
            }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
