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

    /// Whether a request's `env` may not set `name`, whoever sent it: `JOBDIR_*`, which the
    /// daemon sets; what the dynamic loader acts on before the program's first instruction
    /// (`LD_*`, `GCONV_PATH`, `LOCPATH`); and what makes a shell run a file or parse
    /// differently before it reaches the command (`BASH_ENV`, `ENV`, `SHELLOPTS`, `BASHOPTS`,
    /// `IFS`). `PATH` may be set: only those who could run anything as the job's user send
    /// an `env` at all (`OperatorAuthority.maySetEnvironment`), and choosing where the
    /// command's programs come from is a use of it.
    package static func isIgnoredName(_ name: String) -> Bool {
        name.hasPrefix("JOBDIR_") || name.hasPrefix("LD_") || ignoredNames.contains(name)
    }

    private static let ignoredNames: Set<String> = ["GCONV_PATH", "LOCPATH", "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "IFS"]

    /// `environment` without the names a request may not set, and those names, sorted.
    package static func withoutIgnoredNames(_ environment: [String: String]) -> (kept: [String: String], dropped: [String]) {
        (environment.filter { !isIgnoredName($0.key) }, environment.keys.filter(isIgnoredName).sorted())
    }

    /// Why a request's content is refused, as logged.
    package struct Problem: Error, Equatable {
        package var message: String
        package init(_ message: String) { self.message = message }
    }
}
