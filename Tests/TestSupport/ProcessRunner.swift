import Foundation

/// The outcome of running a program to its end.
package struct ProcessResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
}

/// Runs programs for tests and locates the built `jobdir` binary.
package enum ProcessRunner {
    /// The `jobdir` binary built beside the test bundle (or `$JOBDIR_BINARY`).
    package static var jobdirBinary: String {
        if let override = ProcessInfo.processInfo.environment["JOBDIR_BINARY"] { return override }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // Swift Testing may run from inside the .xctest bundle path.
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("jobdir").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("jobdir").path
    }

    /// Runs `executable` with `arguments` to its end, feeding nothing on stdin.
    package static func run(_ executable: String, _ arguments: [String], currentDirectory: String? = nil, environment: [String: String]? = nil) throws -> ProcessResult {
        let child = try ChildProcess(executable, arguments, environment: environment, currentDirectory: currentDirectory,
                                     stdout: .pipe, stderr: .pipe)
        let (outData, errData) = child.readToEnd()
        let status = child.wait()
        return ProcessResult(status: status, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// How to start the Python of the test oracles (cronsim, jsonschema, PyYAML):
    /// `$JOBDIR_PYTHON` (Scripts/test.sh points it at the virtual environment it made
    /// in .build/venv), else `python3` from `PATH`.
    package static var python: (executable: String, arguments: [String]) {
        if let python = ProcessInfo.processInfo.environment["JOBDIR_PYTHON"], !python.isEmpty { return (python, []) }
        return ("/usr/bin/env", ["python3"])
    }

    /// `run` on a thread of its own: waiting for a slow program (lintian, dpkg) does not
    /// hold one of the few threads the concurrent tests share (two on a 2-core machine),
    /// which would stall every other test's waits meanwhile.
    package static func runDetached(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try run(executable, arguments, environment: environment) })
            }
        }
    }

    /// Runs the `jobdir` binary.
    package static func jobdir(_ arguments: [String], currentDirectory: String? = nil, environment: [String: String]? = nil) throws -> ProcessResult {
        try run(jobdirBinary, arguments, currentDirectory: currentDirectory, environment: environment)
    }

    /// The package's root directory, found from this file's path.
    package static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}
