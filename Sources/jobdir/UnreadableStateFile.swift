/// A file under state/ that a verb could not read: a result, approval file, execution
/// record or `daemon.json` that does not decode. `status` lists them.
struct UnreadableStateFile: Equatable {
    var path: String
    var reason: String
}

/// The unreadable files one verb met, in the order met (each once).
final class UnreadableStateFiles {
    private(set) var files: [UnreadableStateFile] = []

    func add(_ path: String, _ reason: String) {
        guard !files.contains(where: { $0.path == path }) else { return }
        files.append(UnreadableStateFile(path: path, reason: reason))
    }
}
