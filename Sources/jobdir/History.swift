import ArgumentParser

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Shows a job's executions, newest first.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "A job id.") var job: String
    @Option(help: "At most this many.") var limit: Int?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws { throw notYetImplemented("history") }
}
