import ArgumentParser

struct Trigger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trigger", abstract: "Runs a job now.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "A job id.") var job: String
    @Option(name: .customLong("env"), help: "K=V added to the run's environment (repeatable).") var env: [String] = []
    func run() async throws { throw notYetImplemented("trigger") }
}
