/// Why a command could not be started; `kind` becomes the record's `error.kind`.
package struct SpawnFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// `spawn_not_found`, `spawn_bad_workdir`, `spawn_permission`, `spawn_exec_format`,
    /// `spawn_bad_environment`, `spawn_log`, `spawn_failed` or `canceled`.
    package var kind: String
    /// One line naming the path concerned.
    package var message: String
    /// The path concerned (program, working directory or log).
    package var path: String?
    package var errno: Int32?

    package init(kind: String, message: String, path: String? = nil, errno: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.path = path
        self.errno = errno
    }

    package var description: String { "\(kind): \(message)" }

    package static let notFound = "spawn_not_found"
    package static let badWorkdir = "spawn_bad_workdir"
    package static let permission = "spawn_permission"
    package static let execFormat = "spawn_exec_format"
    package static let badEnvironment = "spawn_bad_environment"
    package static let logFile = "spawn_log"
    package static let other = "spawn_failed"
    package static let canceled = "canceled"
}
