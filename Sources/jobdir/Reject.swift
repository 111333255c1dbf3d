import ArgumentParser

struct Reject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reject", abstract: "Rejects a pending execution.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "An execution id, or a job id with one pending approval.") var id: String
    @Option(help: "A comment kept with the decision.") var comment: String?
    func run() async throws { throw notYetImplemented("reject") }
}
