import ArgumentParser

/// `jobdir approve ID`: drops `approvals/<execution-id>.approve` for a pending approval.
struct Approve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "approve", abstract: "Approves a pending execution.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "An execution id, or a job id with one pending approval.", completion: ShellCompletion.liveExecutionIDs) var id: String
    @Option(help: "A comment kept with the decision.") var comment: String?

    func run() async throws {
        try ApprovalDecision(verdict: .approve, directories: directories).run(id: id, comment: comment)
    }
}
