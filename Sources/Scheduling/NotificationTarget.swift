/// Where one delivery goes, as kept in `notifications/<id>.json`: never a header. A
/// webhook's headers (literal values and `${VAR}` alike) are read from the job's loaded
/// definition when each attempt is sent, and expanded from the daemon's environment then;
/// a definition that no longer names this webhook gets no message.
package enum NotificationTarget: Hashable, Sendable, Codable {
    case webhook(url: String)
    case command(argv: [String])
    case mail(addresses: [String])
    /// A healthchecks.io-style ping: `suffix` is `/start`, `/fail` or empty (success).
    case ping(url: String, suffix: String)

    /// The name in the record's `notifications[].target`.
    package var name: String {
        switch self {
        case .webhook: "webhook"
        case .command: "command"
        case .mail: "mail"
        case .ping(_, let suffix): suffix.isEmpty ? "ping" : "ping" + suffix
        }
    }

    /// The URL a ping or webhook goes to.
    package var url: String? {
        switch self {
        case .webhook(let url): url
        case .ping(let url, let suffix): Self.join(url, suffix)
        default: nil
        }
    }

    private static func join(_ base: String, _ suffix: String) -> String {
        guard !suffix.isEmpty else { return base }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + suffix
    }
}
