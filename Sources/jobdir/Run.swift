import ArgumentParser
import Daemon
import Definitions
import Foundation

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs the daemon in the foreground.",
        discussion: "Logs one line per event to stderr. SIGTERM or SIGINT stop it gracefully; SIGHUP rescans the jobs directory."
    )
    @OptionGroup var directories: DirectoryOptions
    @Option(help: "How many runs at once (default: 4 times the number of cores).") var maxParallel: Int?
    @Option(help: "A pool size, NAME=SIZE (repeatable; pools not named have size 1).") var pool: [String] = []
    @Option(help: "How long running jobs get to finish on stop, e.g. 30s.") var shutdownGrace: String = "30s"
    @Option(help: "text or json.") var logFormat: String = "text"
    @Option(help: "What a stop does to running jobs: wait (the grace, then cancel), detach (leave them to the next daemon) or cancel.")
    var onStop: String = "wait"
    @Option(help: ArgumentHelp("Keep Prometheus metrics in this file (for node_exporter's textfile collector).", valueName: "path"),
            completion: .file(extensions: ["prom"])) var metricsFile: String?
    @Option(help: "The sendmail program `notify.mail` goes through (run as PATH -i -t).") var sendmail: String = "/usr/sbin/sendmail"
    @Option(help: "Wait before a failed notification's second attempt, doubling after each (5 attempts).") var notifyRetryDelay: String = "40s"
    @Option(help: ArgumentHelp("Join a fleet coordinated by etcd: its client URLs, comma-separated (http://10.0.0.1:2379,...).", valueName: "urls"))
    var fleet: String?
    @Option(help: "The fleet's name (its keys live under /jobdir/NAME/ in etcd).") var fleetName: String = "default"
    @Option(help: "This host's name in records and in the fleet (default: the system's host name).") var host: String?
    @Option(help: ArgumentHelp("A label of this host, K=V (repeatable), matched by jobs' `hosts:` selectors.", valueName: "k=v"))
    var hostLabel: [String] = []
    @Option(help: "The fleet lease's time to live (whole seconds, at least 2s); renewed every third of it.") var fleetTtl: String = "10s"

    func validate() throws {
        guard DurationText.parse(shutdownGrace) != nil else { throw ValidationError("--shutdown-grace must be a duration like 30s or 2m; found `\(shutdownGrace)`") }
        guard DaemonLog.Format(rawValue: logFormat) != nil else { throw ValidationError("--log-format must be text or json; found `\(logFormat)`") }
        guard DaemonConfiguration.OnStop(rawValue: onStop) != nil else { throw ValidationError("--on-stop must be wait, detach or cancel; found `\(onStop)`") }
        guard let delay = DurationText.parse(notifyRetryDelay), delay > .zero else { throw ValidationError("--notify-retry-delay must be a duration like 40s; found `\(notifyRetryDelay)`") }
        if let maxParallel, maxParallel < 1 { throw ValidationError("--max-parallel must be at least 1") }
        _ = try pools()
        _ = try fleetSettings()
        if let host, host.isEmpty || host.contains("/") || host.contains(where: \.isWhitespace) {
            throw ValidationError("--host must be a name without spaces or `/`; found `\(host)`")
        }
    }

    /// `--fleet` and its companions, checked; nil without `--fleet`.
    func fleetSettings() throws -> FleetSettings? {
        guard let fleet else {
            if !hostLabel.isEmpty { throw ValidationError("--host-label needs --fleet (labels are matched by the fleet's `hosts:` selectors)") }
            return nil
        }
        let endpoints = fleet.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !endpoints.isEmpty, endpoints.allSatisfy({ $0.hasPrefix("http://") || $0.hasPrefix("https://") }) else {
            throw ValidationError("--fleet must be etcd client URLs like http://10.0.0.1:2379, comma-separated; found `\(fleet)`")
        }
        guard JobID.isValidSegment(Substring(fleetName)) else {
            throw ValidationError("--fleet-name must be letters, digits, `.`, `_` and `-`; found `\(fleetName)`")
        }
        var labels: [String: String] = [:]
        for entry in hostLabel {
            guard let (name, value) = HostLabel.parse(entry) else { throw ValidationError("--host-label must be K=V with K of letters, digits, `.`, `_`, `-`, `/`; found `\(entry)`") }
            labels[name] = value
        }
        guard let ttl = DurationText.parse(fleetTtl), ttl >= .seconds(2), ttl.components.attoseconds == 0 else {
            throw ValidationError("--fleet-ttl must be whole seconds, at least 2s, like 10s; found `\(fleetTtl)`")
        }
        var settings = FleetSettings(endpoints: endpoints.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }, name: fleetName, labels: labels)
        settings.leaseTTL = ttl
        return settings
    }

    func pools() throws -> [String: Int] {
        var sizes: [String: Int] = [:]
        for entry in pool {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, JobID.isValidSegment(parts[0]), let size = Int(parts[1]), size >= 1 else {
                throw ValidationError("--pool must be NAME=SIZE with SIZE at least 1; found `\(entry)`")
            }
            sizes[String(parts[0])] = size
        }
        return sizes
    }

    func run() async throws {
        let status = try runBlocking()
        if status != 0 { throw ExitCode(status) }
    }

    /// Runs the daemon on the calling thread until it stops; returns its exit status.
    /// `Jobdir.main` calls this directly, so the daemon never touches the runtime's
    /// thread pool (whose idle monitor would wake the process every second).
    func runBlocking() throws -> Int32 {
        var configuration = DaemonConfiguration(
            jobsDirectory: Self.absolute(directories.jobs),
            stateDirectory: Self.absolute(directories.state),
            maxParallel: maxParallel ?? 4 * ProcessInfo.processInfo.activeProcessorCount,
            pools: try pools(),
            shutdownGrace: DurationText.parse(shutdownGrace) ?? .seconds(30),
            logFormat: DaemonLog.Format(rawValue: logFormat) ?? .text,
            onStop: DaemonConfiguration.OnStop(rawValue: onStop) ?? .wait,
            metricsFile: metricsFile.map(Self.absolute)
        )
        configuration.sendmail = sendmail
        configuration.notifyRetryDelay = DurationText.parse(notifyRetryDelay) ?? .seconds(40)
        configuration.hostName = host
        configuration.fleet = try fleetSettings()
        return Daemon(configuration: configuration).run()
    }

    static func absolute(_ path: String) -> String {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if trimmed.hasPrefix("/") { return trimmed }
        let cwd = FileManager.default.currentDirectoryPath
        if trimmed == "." { return cwd }
        return cwd + "/" + (trimmed.hasPrefix("./") ? String(trimmed.dropFirst(2)) : trimmed)
    }
}
