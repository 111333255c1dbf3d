import ArgumentParser

@main
struct Jobdir: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobdir",
        abstract: "Runs jobs defined as YAML files in a directory.",
        subcommands: [
            Run.self, Validate.self, Schema.self, List.self, Next.self, Status.self,
            History.self, Logs.self, Trigger.self, Cancel.self, Approve.self, Reject.self,
        ]
    )
}
