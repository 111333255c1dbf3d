import ArgumentParser

struct Schema: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schema", abstract: "Prints the JSON Schema of the job file.")
    @OptionGroup var directories: DirectoryOptions

    func run() async throws { throw notYetImplemented("schema") }
}
