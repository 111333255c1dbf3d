import ArgumentParser

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Shows running, queued, waiting and failing jobs.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "A job id.") var job: String?
    @Flag(help: "Print JSON.") var json = false
    func run() async throws { throw notYetImplemented("status") }
}
