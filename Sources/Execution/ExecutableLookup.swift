import Glibc
import SystemCalls

/// Finds the program of a run and checks it and the working directory before spawning,
/// so a failure names the exact path and cause.
enum ExecutableLookup {
    static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// Checks `workingDirectory`: it must exist, be a directory and be searchable.
    static func checkWorkingDirectory(_ path: String) -> SpawnFailure? {
        let st: stat
        do { st = try Sys.status(path) } catch {
            return SpawnFailure(kind: SpawnFailure.badWorkdir, message: "working directory \(path): \(error.text)",
                                path: path, errno: error.code)
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            return SpawnFailure(kind: SpawnFailure.badWorkdir, message: "working directory \(path) is not a directory",
                                path: path, errno: ENOTDIR)
        }
        do { try Sys.access(path, X_OK) } catch {
            return SpawnFailure(kind: SpawnFailure.badWorkdir, message: "working directory \(path): \(error.text)",
                                path: path, errno: error.code)
        }
        return nil
    }

    /// The path to exec for `program`: as given if it contains a slash (relative to
    /// `workingDirectory`), else the first executable match in `searchPath`.
    static func resolve(_ program: String, workingDirectory: String?, searchPath: String?) -> Result<String, SpawnFailure> {
        guard !program.isEmpty else {
            return .failure(SpawnFailure(kind: SpawnFailure.notFound, message: "empty command"))
        }
        if program.utf8.contains(UInt8(ascii: "/")) {
            let full = absolute(program, in: workingDirectory)
            if let failure = checkExecutable(full, shownAs: program) { return .failure(failure) }
            return .success(program)
        }
        let path = searchPath ?? defaultPath
        var firstRefusal: SpawnFailure?
        for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
            let dir = directory.isEmpty ? "." : String(directory)
            let candidate = dir + "/" + program
            let full = absolute(candidate, in: workingDirectory)
            switch checkExecutable(full, shownAs: candidate) {
            case nil: return .success(full)
            case let failure? where failure.kind != SpawnFailure.notFound: firstRefusal = firstRefusal ?? failure
            default: continue
            }
        }
        return .failure(firstRefusal ?? SpawnFailure(kind: SpawnFailure.notFound,
                                                     message: "command `\(program)` not found in PATH (\(path))",
                                                     path: program, errno: ENOENT))
    }

    private static func absolute(_ path: String, in directory: String?) -> String {
        guard !path.hasPrefix("/"), let directory else { return path }
        return directory + "/" + path
    }

    private static func checkExecutable(_ path: String, shownAs shown: String) -> SpawnFailure? {
        let st: stat
        do { st = try Sys.status(path) } catch {
            let kind = error.code == EACCES ? SpawnFailure.permission : SpawnFailure.notFound
            return SpawnFailure(kind: kind, message: "\(shown): \(error.text)", path: path, errno: error.code)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            return SpawnFailure(kind: SpawnFailure.permission, message: "\(shown) is a directory", path: path, errno: EISDIR)
        }
        do { try Sys.access(path, X_OK) } catch {
            return SpawnFailure(kind: SpawnFailure.permission, message: "\(shown): not executable (\(error.text))",
                                path: path, errno: error.code)
        }
        return nil
    }
}
