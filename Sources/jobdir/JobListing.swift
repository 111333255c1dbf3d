import Cron
import Definitions
import Foundation
import Scheduling

/// One row of `jobdir list`: a job file, what its definition says (when it loads) and
/// what the daemon last wrote about it in `results/<job>.json`.
struct JobListing {
    var id: String
    var file: String
    var definition: JobDefinition?
    /// The first problem of the file; nil when valid.
    var problem: Diagnostic?
    var result: JobResult?
    var triggers: TriggerSummary?

    var isValid: Bool { problem == nil }

    /// `file:line:column: message`, as `jobdir validate` prints it.
    var error: String? { problem?.description }

    /// Every job file of `directory` (ignored files aside), in id order.
    static func load(_ directory: JobDirectory, state: StateReader, now: Date, zone: TimeZoneRules) throws(Diagnostic) -> [JobListing] {
        let files = try directory.candidateFiles()
        let catalog = directory.loadAll()
        var listings: [JobListing] = []
        for relative in files {
            let id: String
            switch JobPathRules.classify(relative) {
            case .ignored, .defaults: continue
            case .job(let jobID): id = jobID.rawValue
            case .invalidID: id = relative.split(separator: ".").dropLast().joined(separator: ".")
            }
            let file = directory.path(of: relative)
            let jobID = JobID(id)
            let definition = jobID.flatMap { catalog.definitions[$0] }.flatMap { $0.file == file ? $0 : nil }
            var problem: Diagnostic?
            if definition == nil || catalog.invalidFiles.contains(file) {
                problem = catalog.problems.first { $0.file == file }
                    ?? Diagnostic("not loaded", at: SourceMark(file: file, line: 1, column: 1))
            }
            var listing = JobListing(id: id, file: file, definition: definition, problem: problem,
                                     result: jobID == nil ? nil : state.result(job: id))
            listing.triggers = definition.map { TriggerSummary($0, now: now, zone: zone) }
            listings.append(listing)
        }
        return listings.sorted { ($0.id, $0.file) < ($1.id, $1.file) }
    }

    /// The earliest next due time of any trigger, from the results file.
    var nextDue: Date? { result?.nextDue.values.min() }

    var lastState: String? { result?.lastExecution?.state }

    /// `k=v,k2=v2`, keys sorted.
    var labelsText: String {
        (definition?.labels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// The object of `list --json`.
    var json: [String: Any] {
        [
            "id": id,
            "file": file,
            "description": definition?.description ?? NSNull(),
            "triggers": triggers?.json ?? [],
            "next_due": nextDue.map(Timestamp.format) ?? NSNull(),
            "last_state": lastState ?? NSNull(),
            "labels": definition?.labels ?? [:],
            "enabled": definition?.enabled ?? NSNull(),
            "valid": isValid,
            "error": error ?? NSNull(),
            "user": definition?.runAs?.userName ?? NSNull(),
            "group": definition?.runAs?.groupName ?? NSNull(),
        ]
    }
}
