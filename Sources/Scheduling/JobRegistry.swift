import Definitions

/// The daemon's view of the jobs directory: for each job, its last valid
/// definition and the problem with its latest edit, if any. Applying a file's
/// load outcome says what changed (SPEC section 6): an invalid edit keeps the
/// last valid definition active.
package struct JobRegistry: Sendable {
    package struct Entry: Sendable {
        /// The definition in force: the last valid one.
        package var definition: JobDefinition? {
            get { stored?.value }
            set { stored = newValue.map(OutOfLine.init) }
        }
        package var file: String
        package var relativePath: String
        /// The problems of the file as it is now; nil when it is valid.
        package var problems: [Diagnostic]?
        /// Out of line: a definition is large (about 900 bytes), and a dictionary keeps
        /// room for a third more entries than it holds.
        private var stored: OutOfLine<JobDefinition>?

        init(definition: JobDefinition?, file: String, relativePath: String, problems: [Diagnostic]?) {
            stored = definition.map(OutOfLine.init)
            self.file = file
            self.relativePath = relativePath
            self.problems = problems
        }
    }

    package enum Change: Sendable {
        case added(JobDefinition)
        case replaced(old: JobDefinition, new: JobDefinition)
        /// The file was read again and nothing in it changed.
        case unchanged(JobID)
        /// The file is invalid; `kept` is the definition still in force, if any.
        case invalid(JobID?, file: String, problems: [Diagnostic], kept: JobDefinition?)
        case removed(JobID, last: JobDefinition?)
    }

    package private(set) var entries: [JobID: Entry] = [:]
    private var idByPath: [String: JobID] = [:]
    /// Files whose path can be no id, or whose id another file holds.
    package private(set) var unassigned: [String: [Diagnostic]] = [:]

    package init() {}

    /// The definitions in force, in no order; walked, not copied.
    package var definitions: some Sequence<JobDefinition> { entries.values.lazy.compactMap(\.definition) }

    /// How many jobs have a definition in force.
    package var definitionCount: Int { entries.values.reduce(0) { $0 + ($1.definition == nil ? 0 : 1) } }

    package func definition(_ id: JobID) -> JobDefinition? { entries[id]?.definition }

    /// The job defined by the file at `relativePath`, if any.
    package func job(at relativePath: String) -> JobID? { idByPath[relativePath] }

    /// Relative paths of every file the registry knows.
    package var knownPaths: [String] { Array(idByPath.keys) + Array(unassigned.keys) }

    /// Records a file's load outcome.
    package mutating func apply(_ load: JobFileLoad) -> Change {
        guard let id = load.id else {
            let problems = (try? load.result.get()).map { _ in [Diagnostic]() } ?? failure(load)
            unassigned[load.relativePath] = problems
            return .invalid(nil, file: load.file, problems: problems, kept: nil)
        }
        if let holder = entries[id], holder.relativePath != load.relativePath {
            let problem = Diagnostic("duplicate job id `\(id)`: already defined by \(holder.file)", at: SourceMark(file: load.file, line: 1, column: 1))
            unassigned[load.relativePath] = [problem]
            return .invalid(id, file: load.file, problems: [problem], kept: nil)
        }
        unassigned[load.relativePath] = nil
        idByPath[load.relativePath] = id
        let previous = entries[id]?.definition
        switch load.result {
        case .success(let definition):
            entries[id] = Entry(definition: definition, file: load.file, relativePath: load.relativePath, problems: nil)
            guard let previous else { return .added(definition) }
            return previous == definition ? .unchanged(id) : .replaced(old: previous, new: definition)
        case .failure(let problems):
            entries[id] = Entry(definition: previous, file: load.file, relativePath: load.relativePath, problems: problems.items)
            return .invalid(id, file: load.file, problems: problems.items, kept: previous)
        }
    }

    /// Records that the file at `relativePath` is gone.
    package mutating func remove(_ relativePath: String) -> Change? {
        if unassigned.removeValue(forKey: relativePath) != nil { return nil }
        guard let id = idByPath.removeValue(forKey: relativePath) else { return nil }
        let last = entries.removeValue(forKey: id)?.definition
        return .removed(id, last: last)
    }

    private func failure(_ load: JobFileLoad) -> [Diagnostic] {
        if case .failure(let problems) = load.result { return problems.items }
        return []
    }
}
