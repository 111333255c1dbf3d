/// The record's `error` object: a machine-readable kind and a message for people.
/// Kinds in use: `spawn_not_found`, `spawn_bad_workdir`, `spawn_permission`, `spawn_failed`,
/// `exit_status`, `signal`, `timeout`, `canceled`, `overlap`, `pool`, `deadline`,
/// `rejected`, `expired`, `interrupted`, `env_file`, `limit`.
package struct ExecutionFailure: Hashable, Sendable, Codable {
    package var kind: String
    package var message: String
    package init(kind: String, message: String) {
        self.kind = kind
        self.message = message
    }
}
