/// Which files below the jobs directory are jobs, and their ids (SPEC section 1).
package enum JobPathRules {
    package enum Classification: Equatable, Sendable {
        case job(JobID)
        /// `_defaults.yaml` directly in the jobs directory.
        case defaults
        /// Not a job file: hidden, underscored, an editor leftover or another extension.
        case ignored
        /// A job file whose path cannot be an id; the reason says why.
        case invalidID(String)
    }

    package static let defaultsFileName = "_defaults.yaml"

    /// Classifies a path relative to the jobs directory (segments separated by `/`).
    package static func classify(_ relativePath: String) -> Classification {
        if relativePath == defaultsFileName { return .defaults }
        let segments = relativePath.split(separator: "/", omittingEmptySubsequences: true)
        guard let name = segments.last else { return .ignored }
        if segments.contains(where: { $0.hasPrefix(".") || $0.hasPrefix("_") }) { return .ignored }
        if isEditorLeftover(name) { return .ignored }
        let stem: Substring
        if name.hasSuffix(".yaml") { stem = name.dropLast(5) } else if name.hasSuffix(".yml") { stem = name.dropLast(4) } else { return .ignored }
        let idText = (segments.dropLast().map(String.init) + [String(stem)]).joined(separator: "/")
        guard let id = JobID(idText) else {
            let bad = segments.dropLast().first { !JobID.isValidSegment($0) } ?? stem
            return .invalidID("`\(bad)` cannot be part of a job id: each path segment must start with a letter or digit and hold at most 64 letters, digits, `.`, `_` or `-`")
        }
        return .job(id)
    }

    /// Whether a directory name is descended into.
    package static func isSearchedDirectory(_ name: String) -> Bool {
        !name.hasPrefix(".") && !name.hasPrefix("_")
    }

    private static func isEditorLeftover(_ name: Substring) -> Bool {
        name.hasSuffix("~") || (name.hasPrefix("#") && name.hasSuffix("#")) ||
            name.hasSuffix(".swp") || name.hasSuffix(".swx") || name.hasSuffix(".tmp")
    }
}
