import ArgumentParser
import Daemon
import Definitions
import Foundation
import Scheduling

/// `jobdir notify-test JOB`: sends a sample execution through the job's `notify` targets
/// (and, with `--ping`, its ping) and prints what each answered.
struct NotifyTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify-test",
        abstract: "Sends a sample notification through a job's targets and prints what each answered.",
        discussion: "The sample is a made-up execution of the job; nothing is written to the state directory. Exit status 1 when a target failed."
    )
    @OptionGroup var directories: DirectoryOptions
    @Argument(help: "A job id.") var job: String
    @Option(help: "What the sample stands for: failure, recovery, success, always or skipped.") var event: String = "failure"
    @Flag(help: "Also send the job's ping (its success URL, or /fail for a failure sample).") var ping = false
    @Option(help: "The sendmail program for `mail` targets.") var sendmail: String = "/usr/sbin/sendmail"
    @Flag(help: "Print JSON: one attempt object per target.") var json = false

    func validate() throws {
        guard NotifyPolicy.Event(rawValue: event) != nil else {
            throw ValidationError("--event must be one of failure, recovery, success, always, skipped; found `\(event)`")
        }
    }

    func run() async throws {
        let definition: JobDefinition
        switch JobLookup.definition(job, jobsDirectory: directories.jobs) {
        case .success(let loaded): definition = loaded
        case .failure(let failure): throw Console.failure("notify-test", failure.message)
        }
        let chosen = NotifyPolicy.Event(rawValue: event) ?? .failure
        let deliveries = NotificationTest.deliveries(of: definition, event: chosen, ping: ping)
        guard !deliveries.isEmpty else {
            throw Console.failure("notify-test", "\(job) has no notify targets\(definition.ping == nil ? "" : " (add --ping to send its ping)")")
        }
        let record = NotificationTest.sample(of: definition, event: chosen, host: ProcessInfo.processInfo.hostName, now: Date())
        let attempts = try NotificationTest.send(deliveries, record: record, definition: definition, sendmail: sendmail, environment: ProcessInfo.processInfo.environment)
        if json {
            print(try JSONOutput.render(encoding: attempts.map(TestedAttempt.init)), terminator: "")
        } else {
            for attempt in attempts { print(Self.line(attempt)) }
        }
        if attempts.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }

    /// `webhook (failure): FAILED HTTP 403: invalid_token`: the outcome, the HTTP status or
    /// exit code, the error (unless it only repeats the status) and the start of the
    /// server's answer.
    static func line(_ attempt: NotificationAttempt) -> String {
        var outcome = attempt.ok ? "ok" : "FAILED"
        if let status = attempt.httpStatus { outcome += " HTTP \(status)" }
        var details: [String] = []
        if let error = attempt.error, error != attempt.httpStatus.map({ "HTTP \($0)" }) { details.append(error) }
        if let answer = attempt.answer { details.append(answer) }
        if details.isEmpty, attempt.error == nil, let code = attempt.exitCode { outcome += " (exit \(code))" }
        return "\(attempt.target) (\(attempt.event)): " + ([outcome] + details).joined(separator: ": ")
    }

    /// One attempt as `--json` prints it: the record's `notifications` entry plus `answer`,
    /// which records do not keep.
    struct TestedAttempt: Encodable {
        var attempt: NotificationAttempt

        enum CodingKeys: String, CodingKey { case answer }

        func encode(to encoder: any Encoder) throws {
            try attempt.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(attempt.answer, forKey: .answer)
        }
    }
}
