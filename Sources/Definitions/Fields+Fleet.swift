/// The keys of SPEC section 13: `fleet` and `hosts`. Read and checked always; only a
/// daemon started with `--fleet` acts on them.
extension Fields {
    mutating func readFleetSettings(_ map: [String: YAMLNode], into definition: inout JobDefinition) {
        if let node = map["fleet"], let mode = checker.choice(node, key: "fleet", as: FleetMode.self) { definition.fleet = mode }
        if let node = map["hosts"] { definition.hosts = readSelector(node) }
    }

    private mutating func readSelector(_ node: YAMLNode) -> [String: String] {
        guard case .mapping(let pairs) = node.value else {
            checker.report("`hosts` must be a mapping of label: value (like {role: db}); found \(node.kindName)", at: node)
            return [:]
        }
        var selector: [String: String] = [:]
        for (keyNode, valueNode) in pairs {
            guard let name = keyNode.scalarText, let value = checker.scalarText(valueNode, key: "hosts.\(name)") else { continue }
            guard HostLabel.isValidName(name) else {
                checker.report("`hosts` label `\(name)` must be letters, digits, `.`, `_`, `-` and `/`", at: keyNode)
                continue
            }
            selector[name] = value
        }
        return selector
    }
}
