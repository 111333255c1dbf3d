import ArgumentParser

struct Next: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "next", abstract: "Prints upcoming fire times of a job or a cron expression.")
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "A job id.") var job: String?
    @Option(help: "A cron expression instead of a job.") var cron: String?
    @Option(help: "IANA time zone for --cron.") var timezone: String?
    @Option(name: .short, help: "How many times.") var n: Int = 5
    @Option(help: "Start after this RFC 3339 time (default: now).") var after: String?
    @Flag(help: "Print JSON.") var json = false
    func run() async throws { throw notYetImplemented("next") }
}
