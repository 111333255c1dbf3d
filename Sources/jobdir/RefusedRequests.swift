import Definitions
import Foundation
import Glibc
import Scheduling
import StateStore

/// Trigger and cancel requests the daemon leaves in place because their owners may not
/// make them (SPEC section 11), judged by the same rule the daemon applies.
struct RefusedRequest {
    var kind: String
    var file: String
    var job: String
    var owner: String
    var reason: String

    var json: [String: Any] { ["kind": kind, "file": file, "job": job, "owner": owner, "reason": reason] }

    static func find(jobs: String, reader: StateReader) -> [RefusedRequest] {
        let layout = reader.layout
        var definitions: [String: JobDefinition]?
        func definition(_ job: String) -> JobDefinition? {
            if definitions == nil {
                definitions = Dictionary(JobDirectory(root: jobs).loadAll().definitions.map { ($0.key.rawValue, $0.value) }) { a, _ in a }
            }
            return definitions?[job]
        }
        // The daemon's user owns daemon.json.
        var daemonInfo = stat()
        let daemonUID = stat(layout.root + "/daemon.json", &daemonInfo) == 0 ? UInt32(daemonInfo.st_uid) : UInt32(geteuid())
        var refused: [RefusedRequest] = []
        for (kind, directory) in [("trigger", layout.triggersDirectory), ("cancel", layout.cancelDirectory)] {
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted() where !name.hasPrefix(".") {
                let path = directory + "/" + name
                let job: String?
                if kind == "trigger" {
                    job = name.split(separator: "@", maxSplits: 1).first.map(String.init)
                } else {
                    job = ExecutionID(rawValue: name).flatMap { reader.record(id: $0)?.job }
                }
                var info = stat()
                guard let job, let definition = definition(job), lstat(path, &info) == 0 else { continue }
                let request = ApprovalAuthority.Marker(requestFile: info), ownerName = request.ownerName
                if let reason = OperatorAuthority.refusal(of: request, jobUserUID: definition.runAs?.uid, operators: definition.operators,
                                                          daemonUID: daemonUID) {
                    refused.append(RefusedRequest(kind: kind, file: path, job: job, owner: ownerName, reason: reason))
                } else if kind == "trigger", setsEnvironment(DropBox(directory: directory), name),
                          !OperatorAuthority.maySetEnvironment(ownerUID: request.ownerUID, jobUserUID: definition.runAs?.uid, daemonUID: daemonUID) {
                    refused.append(RefusedRequest(kind: kind, file: path, job: job, owner: ownerName,
                                                  reason: OperatorAuthority.environmentRefusal(jobUserName: definition.runAs?.userName)))
                }
            }
        }
        return refused
    }

    /// Whether the trigger request `name` asks for env (read without following symlinks).
    private static func setsEnvironment(_ box: DropBox, _ name: String) -> Bool {
        guard case .request(let request) = box.open(name, readingAtMost: TriggerRequest.maximumBytes), !request.isLarger,
              case .success(let environment) = TriggerRequest.environment(from: Data(request.bytes)) else { return false }
        return !environment.isEmpty
    }
}
