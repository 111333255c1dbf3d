import ArgumentParser

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "validate", abstract: "Checks job files; exit 1 if any is invalid.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "Files or directories (default: the jobs directory).") var paths: [String] = []
    @Flag(help: "Print problems as JSON.") var json = false
    func run() async throws { throw notYetImplemented("validate") }
}
