/// Reads typed values out of YAML nodes, collecting a diagnostic for each
/// value that is not what its key needs.
struct NodeChecker {
    var problems: [Diagnostic] = []

    mutating func report(_ message: String, at node: YAMLNode) {
        problems.append(Diagnostic(message, at: node.mark))
    }

    /// The pairs of a mapping whose keys are all known; unknown keys are reported with a suggestion.
    mutating func mapping(_ node: YAMLNode, key: String, known: [String]) -> [String: YAMLNode]? {
        guard case .mapping(let pairs) = node.value else {
            report("`\(key)` must be a mapping with keys \(known.map { "`\($0)`" }.joined(separator: ", ")); found \(node.kindName)", at: node)
            return nil
        }
        var fields: [String: YAMLNode] = [:]
        for (keyNode, value) in pairs {
            guard let name = keyNode.scalarText else { continue }
            if known.contains(name) {
                fields[name] = value
            } else {
                reportUnknownKey(name, at: keyNode, known: known, inside: key)
            }
        }
        return fields
    }

    mutating func reportUnknownKey(_ name: String, at node: YAMLNode, known: [String], inside parent: String?) {
        let place = parent.flatMap { $0 == "job" ? nil : " in `\($0)`" } ?? ""
        if let suggestion = KeySuggestion.closest(to: name, among: known) {
            report("unknown key `\(name)`\(place); did you mean `\(suggestion)`?", at: node)
        } else {
            report("unknown key `\(name)`\(place); known keys: \(known.joined(separator: ", "))", at: node)
        }
    }

    mutating func string(_ node: YAMLNode, key: String, allowEmpty: Bool = false) -> String? {
        guard case .string(let text) = node.resolvedScalar, case .scalar = node.value else {
            let hint = node.value.isScalar ? " (quote it to make it a string)" : ""
            report("`\(key)` must be a string; found \(node.kindName)\(hint)", at: node)
            return nil
        }
        if !allowEmpty, text.isEmpty {
            report("`\(key)` must not be empty", at: node)
            return nil
        }
        return text
    }

    /// A scalar's text as written, for values where numbers and booleans read as text (env, labels, argv).
    mutating func scalarText(_ node: YAMLNode, key: String) -> String? {
        guard case .scalar(let text, _) = node.value, node.resolvedScalar != .null else {
            report("`\(key)` must be a string; found \(node.kindName)", at: node)
            return nil
        }
        return text
    }

    /// A string, or a list of strings.
    mutating func strings(_ node: YAMLNode, key: String) -> [(String, YAMLNode)]? {
        switch node.value {
        case .scalar:
            return string(node, key: key).map { [($0, node)] }
        case .sequence(let items):
            guard !items.isEmpty else {
                report("`\(key)` must not be an empty list", at: node)
                return nil
            }
            let values = items.compactMap { item in string(item, key: key).map { ($0, item) } }
            return values.count == items.count ? values : nil
        case .mapping:
            report("`\(key)` must be a string or a list of strings; found a mapping", at: node)
            return nil
        }
    }

    mutating func bool(_ node: YAMLNode, key: String) -> Bool? {
        guard case .bool(let value) = node.resolvedScalar, node.value.isScalar else {
            report("`\(key)` must be true or false; found \(node.kindName)", at: node)
            return nil
        }
        return value
    }

    mutating func integer(_ node: YAMLNode, key: String, range: ClosedRange<Int>) -> Int? {
        guard case .int(let value) = node.resolvedScalar, node.value.isScalar else {
            report("`\(key)` must be a whole number; found \(node.kindName)", at: node)
            return nil
        }
        guard range.contains(value) else {
            report("`\(key)` must be between \(range.lowerBound) and \(range.upperBound); found \(value)", at: node)
            return nil
        }
        return value
    }

    mutating func duration(_ node: YAMLNode, key: String, allowZero: Bool = false) -> Duration? {
        let parsed: Duration?
        switch node.resolvedScalar {
        case .int(let seconds) where node.value.isScalar: parsed = seconds >= 0 ? .seconds(seconds) : nil
        case .string(let text) where node.value.isScalar: parsed = DurationText.parse(text)
        default: parsed = nil
        }
        guard let parsed else {
            let found = node.value.isScalar ? "`\(node.scalarText ?? "")`" : node.kindName
            report("`\(key)` must be a duration like 500ms, 90s, 5m, 1h30m or 2d; found \(found)", at: node)
            return nil
        }
        if !allowZero, parsed == .zero {
            report("`\(key)` must be longer than zero", at: node)
            return nil
        }
        return parsed
    }

    mutating func size(_ node: YAMLNode, key: String) -> Int? {
        let parsed: Int?
        switch node.resolvedScalar {
        case .int(let bytes) where node.value.isScalar: parsed = bytes >= 0 ? bytes : nil
        case .string(let text) where node.value.isScalar: parsed = SizeText.parse(text)
        default: parsed = nil
        }
        guard let parsed, parsed > 0 else {
            let found = node.value.isScalar ? "`\(node.scalarText ?? "")`" : node.kindName
            report("`\(key)` must be a size like 512, 64KiB, 1MiB or 1GiB; found \(found)", at: node)
            return nil
        }
        return parsed
    }

    mutating func choice<Choice: RawRepresentable & CaseIterable>(_ node: YAMLNode, key: String, as: Choice.Type) -> Choice? where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        guard case .scalar(let text, _) = node.value, let value = Choice(rawValue: text) else {
            let found = node.value.isScalar ? "`\(node.scalarText ?? "")`" : node.kindName
            report("`\(key)` must be one of \(names.joined(separator: ", ")); found \(found)", at: node)
            return nil
        }
        return value
    }

    /// One choice or a non-empty list of them.
    mutating func choices<Choice: RawRepresentable & CaseIterable & Hashable>(_ node: YAMLNode, key: String, as type: Choice.Type) -> Set<Choice> where Choice.RawValue == String {
        var chosen = Set<Choice>()
        if case .sequence(let items) = node.value, !items.isEmpty {
            for item in items {
                if let value = choice(item, key: key, as: type) { chosen.insert(value) }
            }
        } else if let value = choice(node, key: key, as: type) {
            chosen.insert(value)
        }
        return chosen
    }

    /// The items of a list command: scalars, the first (the program) not empty.
    mutating func argv(_ node: YAMLNode, items: [YAMLNode], key: String) -> [String]? {
        guard !items.isEmpty else {
            report("`\(key)` must not be an empty list", at: node)
            return nil
        }
        let argv = items.compactMap { scalarText($0, key: "\(key) item") }
        if let first = items.first, argv.first?.isEmpty == true { report("the program to run must not be empty", at: first) }
        return argv.count == items.count ? argv : nil
    }
}

extension YAMLNode.Value {
    var isScalar: Bool {
        if case .scalar = self { return true }
        return false
    }
}
