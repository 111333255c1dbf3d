import Glibc

/// What `jobdir validate` checks: whole directories, or single files in the
/// context of the jobs directory they live in.
package struct JobValidation {
    package struct Report: Sendable {
        package var problems: [Diagnostic] = []
        package var fileCount = 0
        package var invalidFileCount: Int { Set(problems.map(\.file)).count }
    }

    package var jobsDirectory: String

    package init(jobsDirectory: String) { self.jobsDirectory = jobsDirectory }

    /// Checks `paths` (files or directories); no paths means the jobs directory.
    package func check(_ paths: [String]) -> Report {
        var report = Report()
        for path in paths.isEmpty ? [jobsDirectory] : paths {
            var info = stat()
            guard stat(path, &info) == 0 else {
                report.problems.append(Diagnostic("no such file or directory", at: SourceMark(file: path, line: 1, column: 1)))
                report.fileCount += 1
                continue
            }
            if info.st_mode & S_IFMT == S_IFDIR {
                let catalog = JobDirectory(root: path).loadAll()
                report.fileCount += catalog.files.count
                report.problems += catalog.problems
            } else {
                report.fileCount += 1
                report.problems += checkFile(path)
            }
        }
        report.problems.sort()
        return report
    }

    /// One file, with the defaults of the directory it belongs to and its `after` links checked
    /// against the ids of that directory.
    private func checkFile(_ path: String) -> [Diagnostic] {
        let (directory, relativePath) = placement(of: path)
        if relativePath == JobPathRules.defaultsFileName {
            if case .invalid(_, let problems) = directory.loadDefaults() { return problems }
            return []
        }
        guard let load = directory.load(relativePath, defaults: directory.loadDefaults()) else {
            return [Diagnostic("not a job file: job files end in .yaml or .yml, and no path segment starts with `.` or `_`", at: SourceMark(file: path, line: 1, column: 1))]
        }
        switch load.result {
        case .failure(let problems): return problems.items
        case .success(let definition):
            var known: [JobID: JobDefinition] = [definition.id: definition]
            for file in (try? directory.candidateFiles()) ?? [] {
                if case .job(let id) = JobPathRules.classify(file), known[id] == nil { known[id] = definition.placeholder(id) }
            }
            return ChainCheck.problems(in: known).filter { $0.file == load.file }
        }
    }

    /// The jobs directory a file belongs to (the configured one when the file is inside it,
    /// otherwise the file's own directory) and its path relative to that.
    private func placement(of path: String) -> (JobDirectory, String) {
        let jobs = JobDirectory(root: jobsDirectory)
        let root = jobs.absoluteRoot + "/"
        let absolute = path.hasPrefix("/") ? path : JobDirectory(root: ".").absoluteRoot + "/" + (path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
        if absolute.hasPrefix(root) { return (JobDirectory(root: jobsDirectory), String(absolute.dropFirst(root.count))) }
        guard let slash = path.lastIndex(of: "/") else { return (JobDirectory(root: "."), path) }
        return (JobDirectory(root: String(path[..<slash])), String(path[path.index(after: slash)...]))
    }
}

private extension JobDefinition {
    /// A stand-in for another job, known only by id, for link checks.
    func placeholder(_ id: JobID) -> JobDefinition {
        var copy = self
        copy.id = id
        copy.after = []
        return copy
    }
}
