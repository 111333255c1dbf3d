/// The keys of SPEC section 11: `user`, `group`, `umask`, `limits`, `operators`.
extension Fields {
    mutating func readRunSettings(_ map: [String: YAMLNode], into definition: inout JobDefinition) {
        if let node = map["user"] { definition.user = readPrincipal(node, key: "user") }
        if let node = map["group"] { definition.group = readPrincipal(node, key: "group") }
        if let node = map["umask"], let mask = readUmask(node) { definition.umask = mask }
        if let node = map["limits"] { definition.limits = readLimits(node) }
        if let node = map["operators"], let names = readPrincipals(node, key: "operators") { definition.operators = names }
    }

    private mutating func readPrincipal(_ node: YAMLNode, key: String) -> NamedPrincipal? {
        guard let text = checker.scalarText(node, key: key) else { return nil }
        let valid = !text.isEmpty && text.count <= 64 && !text.hasPrefix("-")
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-$".contains($0)) }
        guard valid else {
            checker.report("`\(key)` must be a \(key) name or a number; found `\(text)`", at: node)
            return nil
        }
        return NamedPrincipal(text: text, mark: node.mark)
    }

    /// Octal digits as written (`022`, `0027`, `'077'`), whatever YAML 1.1 makes of them.
    private mutating func readUmask(_ node: YAMLNode) -> UInt32? {
        guard node.value.isScalar, let text = node.scalarText,
              (1...4).contains(text.count), text.allSatisfy({ ("0"..."7").contains($0) }),
              let value = UInt32(text, radix: 8), value <= 0o777 else {
            let found = node.value.isScalar ? "`\(node.scalarText ?? "")`" : node.kindName
            checker.report("`umask` must be octal digits like 022 or 0077; found \(found)", at: node)
            return nil
        }
        return value
    }

    private mutating func readLimits(_ node: YAMLNode) -> ResourceLimits {
        var limits = ResourceLimits()
        guard let fields = checker.mapping(node, key: "limits", known: JobKeys.limits) else { return limits }
        if let item = fields["memory"] { limits.memory = checker.size(item, key: "limits.memory") }
        if let item = fields["cpu_time"], let duration = checker.duration(item, key: "limits.cpu_time") {
            let (seconds, attoseconds) = duration.components
            limits.cpuTimeSeconds = Int(seconds) + (attoseconds > 0 ? 1 : 0)
        }
        if let item = fields["open_files"] { limits.openFiles = checker.integer(item, key: "limits.open_files", range: 3...1 << 20) }
        if let item = fields["processes"] { limits.processes = checker.integer(item, key: "limits.processes", range: 1...1 << 22) }
        if let item = fields["file_size"] { limits.fileSize = checker.size(item, key: "limits.file_size") }
        if let item = fields["core"] {
            if case .int(0) = item.resolvedScalar { limits.core = 0 } else { limits.core = checker.size(item, key: "limits.core") }
        }
        if let item = fields["nice"] { limits.nice = checker.integer(item, key: "limits.nice", range: -20...19) }
        if let item = fields["io"] { limits.io = readIOPriority(item) }
        return limits
    }

    private mutating func readIOPriority(_ node: YAMLNode) -> IOPriority? {
        let problem = "`limits.io` must be idle, best-effort or realtime, optionally with a level 0-7 (best-effort:2)"
        guard node.value.isScalar, let text = node.scalarText else {
            checker.report("\(problem); found \(node.kindName)", at: node)
            return nil
        }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let name = parts.first, let ioClass = IOPriority.Class(rawValue: name) else {
            checker.report("\(problem); found `\(text)`", at: node)
            return nil
        }
        guard parts.count == 2 else { return IOPriority(class: ioClass, level: ioClass == .idle ? nil : 4) }
        guard ioClass != .idle, let level = Int(parts[1]), (0...7).contains(level) else {
            checker.report("\(problem); found `\(text)`", at: node)
            return nil
        }
        return IOPriority(class: ioClass, level: level)
    }
}
