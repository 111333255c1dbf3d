import Foundation
import Glibc
@testable import Execution

/// Runs `jobdir-supervisor` directly (no daemon): launch, wait on its pidfd, reap it,
/// read its outcome.
struct SupervisorHarness {
    let dir: TempDirectory
    let launcher = SupervisorLauncher.locate()

    func outcomePath(_ id: String) -> String { dir.file("\(id).outcome.json") }

    func launch(_ request: SpawnRequest, reportFD: Int32? = nil) throws -> LaunchedSupervisor {
        try launcher.launch(request, outcomePath: outcomePath(request.id), reportFD: reportFD)
    }

    /// Waits (bounded) until the supervisor has ended and reaps it; its exit status.
    func finish(_ launched: LaunchedSupervisor, within seconds: Int32 = 30) throws -> Int32? {
        guard try launched.pidfd.wait(milliseconds: seconds * 1000) else { return nil }
        return try launched.pidfd.reap()
    }

    /// Runs `request` to its end: the supervisor's exit status and its outcome.
    func run(_ request: SpawnRequest) throws -> (status: Int32?, outcome: SupervisorOutcome) {
        let launched = try launch(request)
        let status = try finish(launched)
        return (status, try SupervisorOutcome.read(outcomePath(request.id)))
    }

    func bytes(_ name: String) -> [UInt8] {
        (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.file(name))))) ?? []
    }

    func writeBytes(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file(name)))
    }
}

/// Whether `pid` is a process that has not ended (zombies count as ended).
func isRunning(_ pid: Int32) -> Bool { ProcessTable.isAlive(pid) }

func randomBytes(_ count: Int) -> [UInt8] {
    (try? [UInt8](FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom")).read(upToCount: count) ?? Data())) ?? []
}
