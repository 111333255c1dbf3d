/// What this binary is: its version, and the commit it was built from.
///
/// SwiftPM cannot stamp a commit into a build, so `Scripts/install.sh` (and
/// `make`, `Scripts/build-deb.sh`, which call it) writes `BuildStamp.generated.swift`
/// beside this file and builds with `-D JOBDIR_STAMPED`. The generated file is ignored
/// by git; a plain `swift build` does not set the flag, so it compiles the fallback
/// below and reports the commit as `unknown` rather than a stale one.
package enum BuildInfo {
    package static let version = "0.1.0"

    /// The commit (12 hex digits, `-dirty` when the tree had uncommitted changes), or `unknown`.
    package static var commit: String { stampedCommit }

    /// `jobdir 0.1.0 (commit 1a2b3c4d5e6f)`.
    package static var versionLine: String { "jobdir \(version) (commit \(commit))" }
}

#if !JOBDIR_STAMPED
let stampedCommit = "unknown"
#endif
