/// The definition a run is followed with when its job's file is gone, or no longer valid,
/// at a restart: the run goes on to its end (SPEC section 6: a deleted job's running
/// execution may finish) with every key at its default, so no retry, notification or
/// pool follows it, and a cancel gives it the default `kill_grace`.
extension JobDefinition {
    package static func removed(id: JobID, file: String) -> JobDefinition {
        let (root, _) = YAMLReader(file: file).read(Array("command: \"true\"\n".utf8))
        guard let root, case .success(var definition) = JobFileParser(directory: "/").parse(root, defaults: nil, id: id, file: file, sha256: "")
        else { preconditionFailure("the removed-job definition parses") }
        definition.command = .argv([])
        return definition
    }
}
