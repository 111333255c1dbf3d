import ArgumentParser

/// `jobdir reject ID`: drops `approvals/<execution-id>.reject` for a pending approval.
struct Reject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reject", abstract: "Rejects a pending execution.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "An execution id, or a job id with one pending approval.", completion: ShellCompletion.liveExecutionIDs) var id: String
    @Option(help: "A comment kept with the decision.") var comment: String?

    func run() async throws {
        try ApprovalDecision(verdict: .reject, directories: directories).run(id: id, comment: comment)
    }
}
