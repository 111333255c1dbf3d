import Definitions
import Execution
import Foundation
import Glibc
import HTTP
import Scheduling
import StateStore

/// Sends deliveries without blocking the loop it lives on: webhooks and pings through the
/// loop's one `HTTPClient` (sockets and timer in the loop's epoll set), `command` and `mail`
/// as child processes whose ends arrive through their own mailbox. Each attempt ends in
/// one `NotificationAttempt`, handed to the completion on the loop thread.
///
/// A notifier process runs as its job's run user, never as the daemon's user for someone
/// else's job: it goes through a `jobdir-supervisor` like a run (the job's user, groups,
/// umask, `HOME`/`USER`/`LOGNAME`/`SHELL`; stdin from a file; 10 s timeout), which the
/// in-process `ProcessRunner` waits for; its outcome file says how the notifier ended.
/// A webhook's headers come from the job's loaded definition at each attempt, their
/// values expanded from the daemon's environment just before sending, and go nowhere else.
final class NotificationSender {
    struct ProcessDone: Sendable {
        var token: Int
        var outcome: RunOutcome
    }

    private let http: HTTPClient
    let mailbox: Wakeup<ProcessDone>
    /// Where the notifier processes' stdin, output and outcome files are kept while they run.
    private let scratchDirectory: String
    private let sendmail: String
    private let supervisor: SupervisorLauncher
    private let runner = ProcessRunner()
    private var processes: [Int: (files: [String], finish: (RunOutcome) -> Void)] = [:]
    private var nextToken = 0

    /// `http` is the loop's shared client (`EventLoop.makeHTTPClient`); its descriptors
    /// are handled by whoever owns it.
    init(loop: EventLoop, http: HTTPClient, scratchDirectory: String, sendmail: String,
         supervisor: SupervisorLauncher = .locate()) throws {
        self.http = http
        self.supervisor = supervisor
        self.scratchDirectory = scratchDirectory
        self.sendmail = sendmail
        mailbox = try Wakeup<ProcessDone>()
        try loop.add(mailbox.descriptor)
    }

    /// Whether `fd` is the notifier processes' mailbox.
    func owns(_ fd: Int32) -> Bool { fd == mailbox.descriptor }

    /// The mailbox is ready: notifier processes have ended.
    func handleMailbox() {
        for done in mailbox.take() {
            guard let process = processes.removeValue(forKey: done.token) else { continue }
            process.finish(done.outcome)
            for file in process.files { unlink(file) }
        }
    }

    /// Sends one attempt of `delivery` about `record`. `definition` is the job's loaded
    /// definition (nil when its file is gone): a webhook's headers and a notifier's user.
    func send(_ delivery: PlannedDelivery, record: ExecutionRecord, definition: JobDefinition?, environment: [String: String],
              completion: @escaping (NotificationAttempt) -> Void) {
        let target = delivery.target
        let started = Date()
        func attempt(ok: Bool, status: Int? = nil, exitCode: Int32? = nil, error: String? = nil) -> NotificationAttempt {
            NotificationAttempt(target: target.name, event: delivery.event, attempt: 1, at: started, ok: ok,
                                httpStatus: status, exitCode: exitCode, error: error)
        }
        switch target {
        case .webhook(let url):
            guard let notify = definition?.notify, notify.webhook == url else {
                completion(attempt(ok: false, error: "not sent: its definition changed (the job no longer has this webhook)"))
                return
            }
            let body = (try? StateJSON.encode(record, path: "webhook body")) ?? []
            var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
            headers += [("X-Jobdir-Event", delivery.event), ("X-Jobdir-Job", record.job), ("X-Jobdir-Execution", record.id.rawValue)]
            headers += notify.headers.map { ($0.name, EnvironmentExpansion.expand($0.value, environment: environment)) }
            sendHTTP(HTTPRequest(method: "POST", url: url, headers: headers, body: body), completion: { response in
                completion(Self.attempt(from: response, started: started, delivery: delivery))
            })
        case .ping(_, let suffix):
            let url = target.url ?? ""
            let request = suffix == "/start"
                ? HTTPRequest(method: "GET", url: url)
                : HTTPRequest(method: "POST", url: url, headers: [("Content-Type", "text/plain; charset=utf-8")], body: NotificationMessage.pingBody(record))
            sendHTTP(request, completion: { response in completion(Self.attempt(from: response, started: started, delivery: delivery)) })
        case .command(let argv):
            guard let user = Self.notifierUser(definition) else {
                completion(attempt(ok: false, error: "not run: its definition is gone, so there is no user to run it as"))
                return
            }
            var env = environment.merging(user.environment) { _, user in user }
            env["JOBDIR_NOTIFY_EVENT"] = delivery.event
            env["JOBDIR_JOB"] = record.job
            env["JOBDIR_EXECUTION"] = record.id.rawValue
            env["JOBDIR_STATE"] = record.state.rawValue
            let input = (try? StateJSON.encode(record, path: "notifier stdin")) ?? []
            spawn(argv, setup: user.setup, environment: env, input: input, failed: { completion(attempt(ok: false, error: $0)) },
                  completion: { completion(Self.attempt(from: $0, started: started, delivery: delivery)) })
        case .mail(let addresses):
            guard let user = Self.notifierUser(definition) else {
                completion(attempt(ok: false, error: "not run: its definition is gone, so there is no user to run sendmail as"))
                return
            }
            let message = NotificationMessage.mail(record, event: delivery.event, to: addresses)
            spawn([sendmail, "-i", "-t"], setup: user.setup, environment: environment.merging(user.environment) { _, user in user },
                  input: Array(message.utf8), failed: { completion(attempt(ok: false, error: $0)) },
                  completion: { completion(Self.attempt(from: $0, started: started, delivery: delivery)) })
        }
    }

    /// Who a notifier of `definition`'s job runs as: its run user. Without a definition a
    /// daemon that is root has nobody to run it as (never itself); one that is not runs
    /// every job, and so every notifier, as itself.
    private static func notifierUser(_ definition: JobDefinition?) -> (setup: ChildSetup, environment: [String: String])? {
        if let definition { return (definition.notifierSetup, definition.userEnvironment) }
        return geteuid() == 0 ? nil : (ChildSetup(), [:])
    }

    private func sendHTTP(_ request: HTTPRequest, completion: @escaping (HTTPResponse) -> Void) {
        var request = request
        request.timeout = DeliverySchedule.attemptTimeout
        request.connectTimeout = DeliverySchedule.attemptTimeout
        request.maxKeptBodyBytes = NotificationAttempt.answerBytes
        http.start(request, completion: completion)
    }

    private func spawn(_ argv: [String], setup: ChildSetup, environment: [String: String], input: [UInt8],
                       failed: (String) -> Void, completion: @escaping (RunOutcome) -> Void) {
        let token = nextToken
        nextToken += 1
        let base = scratchDirectory + "/.notifier-\(getpid())-\(token)"
        let inputPath = base + ".in", outputPath = base + ".out", outcomePath = base + ".outcome", errorsPath = base + ".err"
        do {
            try FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard FileManager.default.createFile(atPath: inputPath, contents: Data(input), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
        } catch {
            failed("cannot write the notifier's input in \(scratchDirectory): \(error)")
            return
        }
        // The supervisor applies `setup` in the notifier's child, times it out and writes
        // its outcome; the runner only waits for the supervisor (a longer backstop).
        let notifier = SpawnRequest(id: "notifier-\(token)", arguments: argv, environment: environment, logPath: outputPath,
                                    maxOutputBytes: 64 << 10, timeout: DeliverySchedule.attemptTimeout, killGrace: .seconds(2),
                                    stdinPath: inputPath, child: setup)
        let invocation = SupervisorInvocation(notifier, binary: supervisor.binary, outcomePath: outcomePath)
        let request = SpawnRequest(id: "notifier-\(token)", arguments: invocation.arguments, environment: environment,
                                   logPath: errorsPath, maxOutputBytes: 16 << 10,
                                   timeout: DeliverySchedule.attemptTimeout + .seconds(10), killGrace: .seconds(2))
        processes[token] = ([inputPath, outputPath, outcomePath, errorsPath], { outcome in
            completion(Self.notifierOutcome(supervisor: outcome, outcomePath: outcomePath))
        })
        let mailbox = self.mailbox
        runner.start(request, onStarted: { _ in }, onFinished: { outcome in mailbox.post(ProcessDone(token: token, outcome: outcome)) })
    }

    /// How the notifier ended: its supervisor's outcome file, or, when there is none, the
    /// supervisor's own end (it refused the invocation, or was killed) as a failure.
    private static func notifierOutcome(supervisor: RunOutcome, outcomePath: String) -> RunOutcome {
        if let outcome = try? SupervisorOutcome.read(outcomePath) { return outcome.runOutcome }
        var ended = supervisor
        if case .exited = supervisor.termination {
            let reason = supervisor.output.tail.split(whereSeparator: \.isNewline).last.map(String.init) ?? "no outcome written"
            ended.termination = .spawnFailed(SpawnFailure(kind: SpawnFailure.other, message: "the notifier's supervisor failed: \(reason)"))
        }
        return ended
    }

    private static func attempt(from response: HTTPResponse, started: Date, delivery: PlannedDelivery) -> NotificationAttempt {
        var error = response.error
        if error == nil && !response.succeeded { error = "HTTP \(response.status.map(String.init) ?? "?")" }
        return NotificationAttempt(target: delivery.target.name, event: delivery.event, attempt: 1, at: started,
                                   ok: response.succeeded, httpStatus: response.status, error: error,
                                   answer: NotificationAttempt.answer(from: response.body))
    }

    private static func attempt(from outcome: RunOutcome, started: Date, delivery: PlannedDelivery) -> NotificationAttempt {
        var exitCode: Int32?
        var error: String?
        switch outcome.termination {
        case .exited(let code):
            exitCode = code
            if code != 0 { error = "exit \(code)" }
        case .signaled(let signal):
            error = "killed by signal \(signal)"
        case .spawnFailed(let failure):
            error = failure.message
        }
        if outcome.stoppedBy == .timedOut { error = "timed out after \(DurationText.format(DeliverySchedule.attemptTimeout))" }
        if let error0 = error, let last = outcome.output.tail.split(whereSeparator: \.isNewline).last {
            error = error0 + ": " + String(last.prefix(200))
        }
        return NotificationAttempt(target: delivery.target.name, event: delivery.event, attempt: 1, at: started,
                                   ok: error == nil, exitCode: exitCode, error: error)
    }
}
