import Cron
import Foundation

/// Turns a job file's node tree (with `_defaults.yaml` merged under it) into
/// a `JobDefinition`, reporting every problem with its position.
package struct JobFileParser {
    /// Where relative paths in the file are resolved: the job file's directory.
    package var directory: String

    package init(directory: String) { self.directory = directory }

    /// Checks a `_defaults.yaml` tree: every key as in a job, none required.
    package func checkDefaults(_ root: YAMLNode) -> [Diagnostic] {
        var checker = NodeChecker()
        guard case .mapping = root.value else {
            checker.report("_defaults.yaml must be a mapping of job keys; found \(root.kindName)", at: root)
            return checker.problems
        }
        var fields = Fields(checker: checker, directory: directory)
        _ = fields.read(root, requireCommand: false)
        return fields.checker.problems
    }

    /// The definition, or every problem found in it.
    package func parse(_ root: YAMLNode, defaults: YAMLNode?, id: JobID, file: String, sha256: String) -> Result<JobDefinition, Diagnostics> {
        guard case .mapping = root.value else {
            return .failure(Diagnostics([Diagnostic("a job file must be a mapping of keys like `command: ...`; found \(root.kindName)", at: root.mark)]))
        }
        let merged = defaults.map { Self.merge(root, over: $0) } ?? root
        var fields = Fields(checker: NodeChecker(), directory: directory)
        let parsed = fields.read(merged, requireCommand: true)
        if let selfLink = parsed?.after.first(where: { $0.job == id }) {
            fields.checker.problems.append(Diagnostic("a job cannot run after itself", at: selfLink.mark))
        }
        guard var definition = parsed, fields.checker.problems.isEmpty else {
            return .failure(Diagnostics(fields.checker.problems))
        }
        definition.id = id
        definition.file = file
        definition.sha256 = sha256
        return .success(definition)
    }

    /// The job's keys over the defaults' keys; `env` and `labels` are merged key by key.
    static func merge(_ job: YAMLNode, over defaults: YAMLNode) -> YAMLNode {
        guard case .mapping(let jobPairs) = job.value, case .mapping(let defaultPairs) = defaults.value else { return job }
        var pairs = jobPairs
        for pair in defaultPairs {
            guard let key = pair.key.scalarText else { continue }
            if let index = pairs.firstIndex(where: { $0.key.scalarText == key }) {
                if ["env", "labels"].contains(key), case .mapping(let inner) = pairs[index].value.value, case .mapping(let defaultInner) = pair.value.value {
                    let added = defaultInner.filter { entry in !inner.contains { $0.key.scalarText == entry.key.scalarText } }
                    pairs[index].value.value = .mapping(added + inner)
                }
            } else {
                pairs.append(pair)
            }
        }
        var merged = job
        merged.value = .mapping(pairs)
        return merged
    }
}

/// The reading of one merged mapping.
struct Fields {
    var checker: NodeChecker
    let directory: String

    init(checker: NodeChecker, directory: String) {
        self.checker = checker
        self.directory = directory
    }

    mutating func read(_ root: YAMLNode, requireCommand: Bool) -> JobDefinition? {
        guard let map = checker.mapping(root, key: "job", known: JobKeys.all) else { return nil }
        let before = checker.problems.count

        var command: JobCommand?
        if let node = map["command"] {
            command = readCommand(node)
        } else if requireCommand {
            checker.problems.append(Diagnostic("missing required key `command` (a string run by the shell, or a list run directly)", at: root.mark))
        }
        var definition = JobDefinition(
            id: JobID("placeholder")!, file: "", sha256: "", description: nil, command: command ?? .argv([]),
            shell: "/bin/sh", workdir: directory, env: [], envFiles: [], schedules: [], timezone: nil,
            every: nil, at: [], watch: nil, after: [], enabled: true, timeout: nil, killGrace: .seconds(10),
            retries: .none, overlap: .skip, maxQueued: 10, pool: nil, catchup: .none, maxCatchup: 100,
            startingDeadline: nil, approval: nil, output: OutputPolicy(maxBytes: 10 << 20),
            history: HistoryPolicy(keep: 100, maxAge: nil), labels: [:]
        )
        if let node = map["description"] { definition.description = checker.string(node, key: "description", allowEmpty: true) }
        if let node = map["shell"], let shell = checker.string(node, key: "shell") {
            if shell.hasPrefix("/") { definition.shell = shell } else { checker.report("`shell` must be an absolute path like /bin/bash; found `\(shell)`", at: node) }
        }
        if let node = map["workdir"], let path = checker.string(node, key: "workdir") { definition.workdir = resolve(path) }
        if let node = map["env"] { definition.env = readEnv(node) }
        if let node = map["env_file"], let files = checker.strings(node, key: "env_file") { definition.envFiles = files.map { resolve($0.0) } }
        if let node = map["schedule"] { definition.schedules = readSchedules(node) }
        if let node = map["timezone"], let zone = checker.string(node, key: "timezone") {
            // The daemon evaluates schedules with the zoneinfo files themselves: check against those.
            if (try? TimeZoneRules.cached(named: zone)) == nil {
                checker.report("unknown time zone `\(zone)`; use an IANA name like Europe/Berlin or UTC", at: node)
            } else {
                definition.timezone = zone
            }
        }
        if let node = map["every"] { definition.every = checker.duration(node, key: "every") }
        if let node = map["at"] { definition.at = readTimes(node) }
        if let node = map["watch"] { definition.watch = readWatch(node) }
        if let node = map["after"] { definition.after = readAfter(node) }
        if let node = map["enabled"], let enabled = checker.bool(node, key: "enabled") { definition.enabled = enabled }
        if let node = map["timeout"] { definition.timeout = checker.duration(node, key: "timeout") }
        if let node = map["kill_grace"], let grace = checker.duration(node, key: "kill_grace", allowZero: true) { definition.killGrace = grace }
        if let node = map["retries"], let retries = readRetries(node) { definition.retries = retries }
        if let node = map["overlap"], let overlap = checker.choice(node, key: "overlap", as: OverlapPolicy.self) { definition.overlap = overlap }
        if let node = map["max_queued"], let value = checker.integer(node, key: "max_queued", range: 1...10_000) { definition.maxQueued = value }
        if let node = map["pool"], let pool = checker.string(node, key: "pool") {
            if JobID.isValidSegment(Substring(pool)) { definition.pool = pool } else {
                checker.report("`pool` must be a name of letters, digits, `.`, `_` and `-`; found `\(pool)`", at: node)
            }
        }
        if let node = map["catchup"], let catchup = checker.choice(node, key: "catchup", as: CatchupPolicy.self) { definition.catchup = catchup }
        if let node = map["max_catchup"], let value = checker.integer(node, key: "max_catchup", range: 1...100_000) { definition.maxCatchup = value }
        if let node = map["starting_deadline"] { definition.startingDeadline = checker.duration(node, key: "starting_deadline") }
        if let node = map["approval"] { definition.approval = readApproval(node) }
        if let node = map["output"], let fields = checker.mapping(node, key: "output", known: JobKeys.output),
           let sizeNode = fields["max_bytes"], let size = checker.size(sizeNode, key: "output.max_bytes") {
            definition.output.maxBytes = size
        }
        if let node = map["history"], let fields = checker.mapping(node, key: "history", known: JobKeys.history) {
            if let keep = fields["keep"], let value = checker.integer(keep, key: "history.keep", range: 1...1_000_000) { definition.history.keep = value }
            if let age = fields["max_age"] { definition.history.maxAge = checker.duration(age, key: "history.max_age") }
        }
        if let node = map["labels"] { definition.labels = readLabels(node) }
        if map["notify"] != nil || map["ping"] != nil {
            var reader = NotifyReader(checker: checker)
            if let node = map["notify"] { definition.notify = reader.readNotify(node) }
            if let node = map["ping"] { definition.ping = reader.readPing(node) }
            checker = reader.checker
        }
        readRunSettings(map, into: &definition)
        readFleetSettings(map, into: &definition)
        return checker.problems.count == before ? definition : nil
    }

    private func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
    }

    private mutating func readCommand(_ node: YAMLNode) -> JobCommand? {
        switch node.value {
        case .scalar:
            return checker.string(node, key: "command").map(JobCommand.shell)
        case .sequence(let items):
            return checker.argv(node, items: items, key: "command").map(JobCommand.argv)
        case .mapping:
            checker.report("`command` must be a string (run by the shell) or a list (run directly); found a mapping", at: node)
            return nil
        }
    }

    private mutating func readEnv(_ node: YAMLNode) -> [EnvironmentEntry] {
        guard case .mapping(let pairs) = node.value else {
            checker.report("`env` must be a mapping of NAME: value; found \(node.kindName)", at: node)
            return []
        }
        var entries: [EnvironmentEntry] = []
        for (keyNode, valueNode) in pairs {
            guard let name = keyNode.scalarText else { continue }
            guard EnvironmentExpansion.isValidName(name) else {
                checker.report("`env` name `\(name)` must be letters, digits and `_`, not starting with a digit", at: keyNode)
                continue
            }
            if name.hasPrefix("JOBDIR_") {
                checker.report("`env` name `\(name)`: names starting with JOBDIR_ are set by jobdir itself", at: keyNode)
                continue
            }
            guard let value = checker.scalarText(valueNode, key: "env.\(name)") else { continue }
            if let problem = EnvironmentExpansion.syntaxProblem(in: value) {
                checker.report("`env.\(name)`: \(problem)", at: valueNode)
                continue
            }
            entries.append(EnvironmentEntry(name: name, value: value))
        }
        return entries
    }

    private mutating func readSchedules(_ node: YAMLNode) -> [ScheduleEntry] {
        guard let texts = checker.strings(node, key: "schedule") else { return [] }
        var entries: [ScheduleEntry] = []
        for (text, item) in texts {
            let trimmed = text.trimmingSpacesAndTabs()
            if trimmed == "@reboot" {
                entries.append(.reboot)
            } else if trimmed.hasPrefix("@every") {
                let rest = trimmed.dropFirst("@every".count).trimmingSpacesAndTabs()
                if let interval = DurationText.parse(rest), interval > .zero {
                    entries.append(.every(interval))
                } else {
                    checker.report("`schedule`: `@every` needs a duration like 90s or 1h30m; found `\(rest)`", at: item)
                }
            } else {
                do {
                    entries.append(.cron(try CronExpression(trimmed)))
                } catch {
                    checker.report("`schedule`: bad cron expression `\(trimmed)`: \(error.message)", at: item)
                }
            }
        }
        return entries
    }

    private mutating func readTimes(_ node: YAMLNode) -> [Date] {
        guard let texts = checker.strings(node, key: "at") else { return [] }
        var times: [Date] = []
        for (text, item) in texts {
            if let date = RFC3339.parse(text) {
                times.append(date)
            } else {
                checker.report("`at` must be an RFC 3339 time with an offset, like 2026-12-01T09:00:00+01:00; found `\(text)`", at: item)
            }
        }
        return times.sorted()
    }

    private mutating func readWatch(_ node: YAMLNode) -> WatchTrigger? {
        guard let fields = checker.mapping(node, key: "watch", known: JobKeys.watch) else { return nil }
        var watch = WatchTrigger(paths: [], events: Set(WatchTrigger.Event.allCases), debounce: .seconds(1))
        if let paths = fields["paths"] {
            watch.paths = checker.strings(paths, key: "watch.paths")?.map(\.0) ?? []
        } else {
            checker.report("`watch` needs `paths`: the files or globs to watch", at: node)
        }
        if let events = fields["events"] { watch.events = checker.choices(events, key: "watch.events", as: WatchTrigger.Event.self) }
        if let debounce = fields["debounce"], let value = checker.duration(debounce, key: "watch.debounce", allowZero: true) { watch.debounce = value }
        return watch
    }

    private mutating func readAfter(_ node: YAMLNode) -> [AfterTrigger] {
        switch node.value {
        case .sequence(let items):
            if items.isEmpty { checker.report("`after` must not be an empty list", at: node) }
            var links: [AfterTrigger] = []
            for item in items { if let link = readAfterLink(item) { links.append(link) } }
            return links
        default:
            return readAfterLink(node).map { [$0] } ?? []
        }
    }

    private mutating func readAfterLink(_ node: YAMLNode) -> AfterTrigger? {
        if case .mapping = node.value {
            guard let fields = checker.mapping(node, key: "after", known: JobKeys.after) else { return nil }
            guard let jobNode = fields["job"] else {
                checker.report("`after` mapping needs `job`: the id of the job to follow", at: node)
                return nil
            }
            guard let job = readJobID(jobNode) else { return nil }
            var condition = AfterTrigger.Condition.success
            if let on = fields["on"] {
                guard let value = checker.choice(on, key: "after.on", as: AfterTrigger.Condition.self) else { return nil }
                condition = value
            }
            return AfterTrigger(job: job, on: condition, mark: jobNode.mark)
        }
        return readJobID(node).map { AfterTrigger(job: $0, on: .success, mark: node.mark) }
    }

    private mutating func readJobID(_ node: YAMLNode) -> JobID? {
        guard let text = checker.string(node, key: "after") else { return nil }
        guard let id = JobID(text) else {
            checker.report("`after`: `\(text)` is not a job id (a path below the jobs directory without extension, like reports/weekly)", at: node)
            return nil
        }
        return id
    }

    private mutating func readRetries(_ node: YAMLNode) -> RetryPolicy? {
        var policy = RetryPolicy.none
        if case .mapping = node.value {
            guard let fields = checker.mapping(node, key: "retries", known: JobKeys.retries) else { return nil }
            if let max = fields["max"], let value = checker.integer(max, key: "retries.max", range: 0...1000) { policy.max = value }
            if let backoff = fields["backoff"], let value = checker.duration(backoff, key: "retries.backoff", allowZero: true) { policy.backoff = value }
            if let cap = fields["max_backoff"], let value = checker.duration(cap, key: "retries.max_backoff", allowZero: true) { policy.maxBackoff = value }
            if policy.maxBackoff < policy.backoff {
                checker.report("`retries.max_backoff` (\(DurationText.format(policy.maxBackoff))) is shorter than `retries.backoff` (\(DurationText.format(policy.backoff)))", at: node)
            }
            return policy
        }
        guard let max = checker.integer(node, key: "retries", range: 0...1000) else { return nil }
        policy.max = max
        return policy
    }

    /// `approval.approvers` and `operators`: user names or `@group`s.
    mutating func readPrincipals(_ node: YAMLNode, key: String) -> [String]? {
        guard let names = checker.strings(node, key: key) else { return nil }
        var principals: [String] = []
        for (name, item) in names {
            let bare = name.hasPrefix("@") ? String(name.dropFirst()) : name
            if bare.isEmpty || bare.hasPrefix("@") || bare.contains(where: { $0.isWhitespace || $0 == ":" || $0 == "/" }) {
                checker.report("`\(key)`: `\(name)` is not a user name or @group", at: item)
            } else {
                principals.append(name)
            }
        }
        return principals
    }

    private mutating func readApproval(_ node: YAMLNode) -> ApprovalPolicy? {
        var policy = ApprovalPolicy(approvers: [], timeout: .seconds(86_400))
        if case .scalar(let text, _) = node.value {
            guard text == "required" else {
                checker.report("`approval` must be `required` or a mapping with `approvers` and `timeout`; found `\(text)`", at: node)
                return nil
            }
            return policy
        }
        guard let fields = checker.mapping(node, key: "approval", known: JobKeys.approval) else { return nil }
        if let approvers = fields["approvers"], let names = readPrincipals(approvers, key: "approval.approvers") {
            policy.approvers = names
        }
        if let timeout = fields["timeout"], let value = checker.duration(timeout, key: "approval.timeout") { policy.timeout = value }
        return policy
    }

    private mutating func readLabels(_ node: YAMLNode) -> [String: String] {
        guard case .mapping(let pairs) = node.value else {
            checker.report("`labels` must be a mapping of name: value; found \(node.kindName)", at: node)
            return [:]
        }
        var labels: [String: String] = [:]
        for (keyNode, valueNode) in pairs {
            guard let name = keyNode.scalarText, let value = checker.scalarText(valueNode, key: "labels.\(name)") else { continue }
            labels[name] = value
        }
        return labels
    }
}
