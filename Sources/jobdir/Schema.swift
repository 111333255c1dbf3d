import ArgumentParser
import Definitions

struct Schema: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Prints the JSON Schema of the job file.",
        discussion: "Point an editor's YAML language server at it, e.g. `# yaml-language-server: $schema=jobdir.schema.json`."
    )
    @OptionGroup var directories: DirectoryOptions

    func run() async throws { print(JobSchema.text) }
}
