/// `${VAR}` in `env` values, expanded from the daemon's environment at run
/// time. `$$` is a literal `$`; an unset variable expands to nothing.
package enum EnvironmentExpansion {
    package static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(0x30...0x39).contains(first) else { return false }
        return name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
    }

    /// What is wrong with the `${...}` references in `value`, if anything.
    package static func syntaxProblem(in value: String) -> String? {
        var problem: String?
        _ = expand(value, environment: [:], problem: &problem)
        return problem
    }

    /// `value` with `${NAME}` replaced from `environment`.
    package static func expand(_ value: String, environment: [String: String]) -> String {
        var problem: String?
        return expand(value, environment: environment, problem: &problem)
    }

    private static func expand(_ value: String, environment: [String: String], problem: inout String?) -> String {
        var result = ""
        var rest = Substring(value)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("$") {
                result += "$"
                rest = after.dropFirst()
            } else if after.hasPrefix("{") {
                guard let close = after.firstIndex(of: "}") else {
                    problem = problem ?? "`${` is not closed by `}`"
                    result += rest[dollar...]
                    return result
                }
                let name = String(after[after.index(after: after.startIndex)..<close])
                if !isValidName(name) { problem = problem ?? "`${\(name)}` is not a variable name" }
                result += environment[name] ?? ""
                rest = after[after.index(after: close)...]
            } else {
                result += "$"
                rest = after
            }
        }
        return result + rest
    }
}
