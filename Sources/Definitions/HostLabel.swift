/// A host's label (`--host-label K=V`) as a job's `hosts:` selector matches it.
package enum HostLabel {
    /// Label names: 1-63 letters, digits, `.`, `_`, `-`, `/`, starting with a letter or digit.
    package static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber, name.count <= 63 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-/".contains($0)) }
    }

    /// Parses `K=V`; nil when it is not that shape or the name is invalid.
    package static func parse(_ text: String) -> (name: String, value: String)? {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, isValidName(String(parts[0])) else { return nil }
        return (String(parts[0]), String(parts[1]))
    }
}
