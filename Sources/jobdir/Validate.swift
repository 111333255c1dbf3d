import ArgumentParser
import Definitions
import Foundation

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Checks job files; exit 1 if any is invalid.",
        discussion: "With no PATH, checks the whole jobs directory. A PATH may be a job file or a directory of jobs."
    )
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "Files or directories (default: the jobs directory).") var paths: [String] = []
    @Flag(help: "Print problems as a JSON array of {file, line, column, message}.") var json = false

    func run() async throws {
        let report = JobValidation(jobsDirectory: directories.jobs).check(paths)
        if json {
            let items = report.problems.map { ["file": $0.file, "line": $0.line, "column": $0.column, "message": $0.message] as [String: Any] }
            print(try JSONText.render(items))
        } else {
            for problem in report.problems { print(problem) }
            let files = report.fileCount == 1 ? "1 file" : "\(report.fileCount) files"
            if report.problems.isEmpty {
                print("\(files) checked: all valid")
            } else {
                let count = report.problems.count == 1 ? "1 problem" : "\(report.problems.count) problems"
                print("\(files) checked: \(report.invalidFileCount) invalid, \(count)")
            }
        }
        if !report.problems.isEmpty { throw ExitCode(1) }
    }
}
