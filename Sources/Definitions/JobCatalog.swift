/// Every job of a directory and every problem found, after the checks that
/// span files.
package struct JobCatalog: Sendable {
    package var definitions: [JobID: JobDefinition] = [:]
    package var problems: [Diagnostic] = []
    /// Files looked at, valid or not.
    package var files: [String] = []
    /// Files with at least one problem.
    package var invalidFiles: Set<String> = []

    package init() {}

    mutating func add(_ loads: [JobFileLoad]) {
        var filesByID: [JobID: [String]] = [:]
        for load in loads {
            files.append(load.file)
            if let id = load.id { filesByID[id, default: []].append(load.file) }
        }
        for load in loads {
            if let id = load.id, let others = filesByID[id], others.count > 1 {
                let other = others.filter { $0 != load.file }.joined(separator: ", ")
                problems.append(Diagnostic("duplicate job id `\(id)`: also defined by \(other)", at: SourceMark(file: load.file, line: 1, column: 1)))
                invalidFiles.insert(load.file)
                if case .failure(let found) = load.result { problems += found.items }
                continue
            }
            switch load.result {
            case .success(let definition): definitions[definition.id] = definition
            case .failure(let found):
                problems += found.items
                invalidFiles.insert(load.file)
            }
        }
        for problem in ChainCheck.problems(in: definitions) {
            problems.append(problem)
            invalidFiles.insert(problem.file)
        }
        problems.sort()
    }
}
