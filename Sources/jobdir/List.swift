import ArgumentParser

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Lists jobs, triggers, next due times and last state.")
    @OptionGroup var directories: DirectoryOptions
    @Flag(help: "Print JSON.") var json = false
    func run() async throws { throw notYetImplemented("list") }
}
