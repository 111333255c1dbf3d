/// A YAML node with the position it was read from.
///
/// Scalars keep their text as written and whether they were quoted, so that
/// YAML 1.1 type resolution (`yes` is a boolean, `"yes"` a string) happens
/// where the job's keys are interpreted.
package struct YAMLNode: Sendable {
    package indirect enum Value: Sendable {
        case scalar(String, quoted: Bool)
        case sequence([YAMLNode])
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    package var value: Value
    package var mark: SourceMark
    /// The explicit tag (`!!str`, `!!int` ...), when one was written.
    package var tag: String?

    package init(_ value: Value, at mark: SourceMark, tag: String? = nil) {
        self.value = value
        self.mark = mark
        self.tag = tag
    }

    /// The value for `key` in a mapping node.
    package subscript(key: String) -> YAMLNode? {
        guard case .mapping(let pairs) = value else { return nil }
        return pairs.first { $0.key.scalarText == key }?.value
    }

    /// The text of a scalar node, nil for collections.
    package var scalarText: String? {
        if case .scalar(let text, _) = value { return text }
        return nil
    }

    /// What a person would call this node's type, for error messages.
    package var kindName: String {
        switch value {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .scalar: return resolvedScalar.kindName
        }
    }
}

extension YAMLNode {
    /// Whether this node may be a mapping key: a scalar that is not a number
    /// or null. YAML 1.1's boolean words (`on`, `yes`) count as strings here,
    /// since `on` is a key of the `after` mapping.
    package var isStringKey: Bool {
        guard case .scalar = value else { return false }
        switch resolvedScalar {
        case .string, .bool: return true
        case .null, .int, .float: return false
        }
    }
}
