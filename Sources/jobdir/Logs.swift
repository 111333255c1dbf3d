import ArgumentParser

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Prints an execution's output.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "An execution id.") var execution: String
    @Flag(help: "Follow until the execution ends.") var follow = false

    func run() async throws { throw notYetImplemented("logs") }
}
