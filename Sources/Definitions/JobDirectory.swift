import Glibc

/// The jobs directory: finding job files, reading `_defaults.yaml`, and
/// loading each file into a definition or its problems.
package struct JobDirectory: Sendable {
    /// The directory as the user named it; file paths in messages start with it.
    package let root: String

    package init(root: String) { self.root = root }

    /// `root/relativePath`, as printed in messages.
    package func path(of relativePath: String) -> String {
        root == "." ? relativePath : (root.hasSuffix("/") ? root + relativePath : root + "/" + relativePath)
    }

    /// Relative paths of every file the rules classify as a job or as defaults, sorted.
    package func candidateFiles() throws(Diagnostic) -> [String] {
        var found: [String] = []
        try walk(relative: "", into: &found)
        return found.sorted()
    }

    private func walk(relative: String, into found: inout [String]) throws(Diagnostic) {
        let directoryPath = relative.isEmpty ? root : path(of: relative)
        guard let directory = opendir(directoryPath) else {
            let reason = String(cString: strerror(errno))
            if relative.isEmpty { throw Diagnostic("cannot read the jobs directory: \(reason)", at: SourceMark(file: root, line: 1, column: 1)) }
            return
        }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            let child = relative.isEmpty ? name : relative + "/" + name
            var type = entry.pointee.d_type
            if type == UInt8(DT_UNKNOWN) || type == UInt8(DT_LNK) {
                var info = stat()
                guard stat(path(of: child), &info) == 0 else { continue }
                let isDirectory = info.st_mode & S_IFMT == S_IFDIR
                // Directory symlinks are not followed (no loops); file symlinks are.
                if isDirectory && type == UInt8(DT_LNK) { continue }
                type = isDirectory ? UInt8(DT_DIR) : UInt8(DT_REG)
            }
            if type == UInt8(DT_DIR) {
                if JobPathRules.isSearchedDirectory(name) { try walk(relative: child, into: &found) }
            } else if JobPathRules.classify(child) != .ignored {
                found.append(child)
            }
        }
    }

    /// `_defaults.yaml`, read and checked. It is merged into every job, root's included,
    /// so it must belong to root or the daemon's user whoever else owns job files, and so
    /// must the jobs directory (`JobFileReader.defaultsOwnershipProblem`).
    package func loadDefaults(daemonUID: UInt32 = UInt32(geteuid())) -> DefaultsFile {
        let file = path(of: JobPathRules.defaultsFileName)
        guard access(file, F_OK) == 0 else { return .absent }
        let start = SourceMark(file: file, line: 1, column: 1)
        switch JobFileReader.readOwned(file) {
        case .failure(let problem): return .invalid(file: file, [problem])
        case .success(let (bytes, owner)):
            if let refusal = JobFileReader.defaultsOwnershipProblem(uid: owner, path: file, daemonUID: daemonUID)
                ?? JobPathOwnership(root: root).problem(directoriesOf: JobPathRules.defaultsFileName, fileOwner: owner, daemonUID: daemonUID) {
                return .invalid(file: file, [Diagnostic(refusal, at: start)])
            }
            return defaults(from: bytes, file: file)
        }
    }

    /// The content of `_defaults.yaml` (named `file` in messages), read and checked.
    package func defaults(from bytes: [UInt8], file: String) -> DefaultsFile {
        let (root, problems) = YAMLReader(file: file).read(bytes)
        guard problems.isEmpty else { return .invalid(file: file, problems) }
        guard let root else { return .absent }
        let more = JobFileParser(directory: absoluteRoot).checkDefaults(root)
        return more.isEmpty ? .valid(root, sha256: SHA256.hex(bytes)) : .invalid(file: file, more)
    }

    /// Loads one job file; nil when the rules ignore the path.
    package func load(_ relativePath: String, defaults: DefaultsFile, accounts: AccountLookup = AccountLookup()) -> JobFileLoad? {
        finish(read(relativePath, defaults: defaults), accounts: accounts)
    }

    /// The first part of `load`: the file read, its directories' owners checked, and the
    /// file parsed. It touches nothing another thread may change (a name for a message
    /// comes from `getpwuid_r`), so files may be read on another thread; `finish` then
    /// resolves the run user on the thread that asks the password database.
    package func read(_ relativePath: String, defaults: DefaultsFile) -> JobFileRead {
        let file = path(of: relativePath)
        let start = SourceMark(file: file, line: 1, column: 1)
        let id: JobID
        switch JobPathRules.classify(relativePath) {
        case .ignored, .defaults: return JobFileRead(stage: .ignored)
        case .invalidID(let reason):
            return JobFileRead(stage: .done(JobFileLoad(relativePath: relativePath, file: file, id: nil,
                                                        result: .failure(Diagnostics([Diagnostic(reason, at: start)])))))
        case .job(let jobID): id = jobID
        }
        switch JobFileReader.readOwned(file) {
        case .failure(let problem):
            let load = JobFileLoad(relativePath: relativePath, file: file, id: id, result: .failure(Diagnostics([problem])))
            return JobFileRead(stage: access(file, F_OK) == 0 ? .done(load) : .missing(load))
        case .success(let (bytes, owner)):
            if let refusal = JobPathOwnership(root: root).problem(directoriesOf: relativePath, fileOwner: owner) {
                return JobFileRead(stage: .done(JobFileLoad(relativePath: relativePath, file: file, id: id,
                                                            result: .failure(Diagnostics([Diagnostic(refusal, at: start)])))))
            }
            let parsed = definition(from: bytes, id: id, file: file, relativePath: relativePath, defaults: defaults)
            return JobFileRead(stage: .parsed(JobFileLoad(relativePath: relativePath, file: file, id: id, result: parsed), owner: owner))
        }
    }

    /// The rest of `load`: the user the job runs as (from `accounts`, which a full load
    /// keeps for all its files).
    package func finish(_ read: JobFileRead, accounts: AccountLookup = AccountLookup()) -> JobFileLoad? {
        var load: JobFileLoad
        let owner: UInt32
        switch read.stage {
        case .ignored: return nil
        case .done(let refused), .missing(let refused): return refused
        case .parsed(let parsed, let fileOwner): (load, owner) = (parsed, fileOwner)
        }
        let start = SourceMark(file: load.file, line: 1, column: 1)
        if case .success(var definition) = load.result {
            switch JobOwnership.resolve(definition, fileOwner: owner, start: start, accounts: accounts) {
            case .success(let identity):
                definition.runAs = identity
                definition.fileOwner = owner
                load.result = .success(definition)
            case .failure(let problems):
                load.result = .failure(problems)
            }
        }
        return load
    }

    /// The content of the job file at `relativePath` (named `file` in messages), parsed
    /// with `defaults` merged in.
    package func definition(from bytes: [UInt8], id: JobID, file: String, relativePath: String, defaults: DefaultsFile) -> Result<JobDefinition, Diagnostics> {
        let start = SourceMark(file: file, line: 1, column: 1)
        let (root, problems) = YAMLReader(file: file).read(bytes)
        guard problems.isEmpty else { return .failure(Diagnostics(problems)) }
        guard let root else {
            return .failure(Diagnostics([Diagnostic("file is empty; a job needs at least `command`", at: start)]))
        }
        let defaultsNode: YAMLNode?
        var hash = SHA256()
        hash.update(bytes)
        switch defaults {
        case .absent: defaultsNode = nil
        case .valid(let node, let sha):
            defaultsNode = node
            hash.update(Array(("\u{0}" + sha).utf8))
        case .invalid(let defaultsFile, _):
            return .failure(Diagnostics([Diagnostic("not loaded: \(defaultsFile) has errors; fix it first", at: start)]))
        }
        let slash = relativePath.lastIndex(of: "/")
        let directory = slash.map { absoluteRoot + "/" + relativePath[..<$0] } ?? absoluteRoot
        return JobFileParser(directory: directory).parse(root, defaults: defaultsNode, id: id, file: file, sha256: hash.finalizeHex())
    }

    /// Loads every job file and checks what spans files: duplicate ids, unknown
    /// `after` jobs and chain cycles.
    package func loadAll() -> JobCatalog {
        var catalog = JobCatalog()
        let files: [String]
        do {
            files = try candidateFiles()
        } catch {
            catalog.problems.append(error)
            return catalog
        }
        let defaults = loadDefaults()
        if case .invalid(_, let problems) = defaults { catalog.problems += problems }
        var loads: [JobFileLoad] = []
        for relativePath in files {
            if let load = load(relativePath, defaults: defaults) { loads.append(load) }
        }
        catalog.add(loads)
        return catalog
    }

    /// The jobs directory as an absolute path, for resolving relative paths in job files.
    package var absoluteRoot: String {
        if root.hasPrefix("/") { return root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return root }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let trimmed = root.hasPrefix("./") ? String(root.dropFirst(2)) : root
        if trimmed == "." || trimmed.isEmpty { return cwd }
        return cwd + "/" + (trimmed.hasSuffix("/") ? String(trimmed.dropLast()) : trimmed)
    }
}

/// `_defaults.yaml` as loaded.
package enum DefaultsFile: Sendable {
    case absent
    case valid(YAMLNode, sha256: String)
    case invalid(file: String, [Diagnostic])
}

/// A job file read and parsed, waiting for `JobDirectory.finish`.
package struct JobFileRead: Sendable {
    enum Stage: Sendable {
        /// The rules ignore the path.
        case ignored
        /// The file is not there (any more); the load says it could not be opened.
        case missing(JobFileLoad)
        /// Refused before anything was parsed.
        case done(JobFileLoad)
        /// Parsed; the run user is still to be resolved.
        case parsed(JobFileLoad, owner: UInt32)
    }

    let stage: Stage

    /// Whether the file was gone when it was to be read.
    package var isMissing: Bool { if case .missing = stage { true } else { false } }
}

/// One job file's outcome.
package struct JobFileLoad: Sendable {
    package var relativePath: String
    package var file: String
    /// Nil when the path cannot be an id.
    package var id: JobID?
    package var result: Result<JobDefinition, Diagnostics>

    package init(relativePath: String, file: String, id: JobID?, result: Result<JobDefinition, Diagnostics>) {
        self.relativePath = relativePath
        self.file = file
        self.id = id
        self.result = result
    }
}
