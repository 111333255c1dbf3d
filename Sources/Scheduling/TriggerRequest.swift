import Definitions
import Foundation

/// The content of a `triggers/<job-id>` file: nothing (or only whitespace), or a JSON
/// object whose optional `env` maps variable names to strings.
package enum TriggerRequest {
    /// Larger request files are refused unread.
    package static let maximumBytes = 64 * 1024

    /// The environment the request adds to the run, or why the content is refused.
    package static func environment(from data: Data) -> Result<[String: String], Problem> {
        guard data.count <= maximumBytes else { return .failure(Problem("request is larger than 64 KiB")) }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }) { return .success([:]) }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return .failure(Problem("content is not a JSON object like {\"env\": {\"K\": \"V\"}}"))
        }
        guard let env = object["env"] else { return .success([:]) }
        guard let pairs = env as? [String: String], pairs.keys.allSatisfy(EnvironmentExpansion.isValidName) else {
            return .failure(Problem("`env` must map variable names to strings"))
        }
        return .success(pairs)
    }

    /// Why a request's content is refused, as logged.
    package struct Problem: Error, Equatable {
        package var message: String
        package init(_ message: String) { self.message = message }
    }
}
