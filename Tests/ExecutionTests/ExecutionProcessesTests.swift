import Foundation
import Glibc
import Scheduling
import Testing
@testable import Execution

/// Finding a run's process groups by the `JOBDIR_EXECUTION` entry of their environment.
@Suite struct ExecutionProcessesTests {
    @Test func onlyTheWholeEntryMatches() {
        let environ = Array("PATH=/bin\0JOBDIR_EXECUTION=abc\0\0HOME=/\0".utf8)
        #expect(ExecutionProcesses.hasEntry(environ, Array("JOBDIR_EXECUTION=abc".utf8)))
        #expect(!ExecutionProcesses.hasEntry(environ, Array("JOBDIR_EXECUTION=ab".utf8)))
        #expect(!ExecutionProcesses.hasEntry(environ, Array("JOBDIR_EXECUTION=abcd".utf8)))
        #expect(!ExecutionProcesses.hasEntry(environ, Array("DIR_EXECUTION=abc".utf8)))
        #expect(!ExecutionProcesses.hasEntry([], Array("JOBDIR_EXECUTION=abc".utf8)))
    }

    @Test func aProcessStartedWithTheExecutionsIdIsFoundByItsGroup() throws {
        let id = ExecutionID(dueAt: Date(), trigger: .manual, random: UInt16.random(in: 0...UInt16.max))
        #expect(ExecutionProcesses.groups(runningExecution: id).isEmpty)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("30"), nil]
        let env: [UnsafeMutablePointer<CChar>?] = [strdup("JOBDIR_EXECUTION=\(id.rawValue)"), nil]
        defer { (argv + env).forEach { free($0) } }
        var pid: pid_t = 0
        try #require(posix_spawn(&pid, "/bin/sleep", nil, &attributes, argv, env) == 0)
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        // `posix_spawn` returns once the child's exec has let go of the parent's memory, which
        // is before the kernel has set up the new environment: until then it reads empty.
        #expect(waitFor { ExecutionProcesses.groups(runningExecution: id) == [pid] }, "its own group, led by itself")
    }
}
