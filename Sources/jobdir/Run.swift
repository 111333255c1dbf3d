import ArgumentParser

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Runs the daemon in the foreground.")
    @OptionGroup var directories: DirectoryOptions
    @Option(help: "How many runs at once.") var maxParallel: Int?
    @Option(help: "A pool size, NAME=SIZE (repeatable).") var pool: [String] = []
    @Option(help: "How long running jobs get to finish on stop.") var shutdownGrace: String = "30s"
    @Option(help: "text or json.") var logFormat: String = "text"
    func run() async throws { throw notYetImplemented("run") }
}
