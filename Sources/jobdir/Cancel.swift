import ArgumentParser

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancels a queued, waiting or running execution.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "An execution id.") var execution: String
    func run() async throws { throw notYetImplemented("cancel") }
}
