import ArgumentParser
import Scheduling

/// One `--env K=V` of `jobdir trigger`: a valid variable name, not a reserved `JOBDIR_` one
/// nor one the daemon drops from every request (`TriggerRequest.isIgnoredName`).
struct EnvAssignment {
    var name: String
    var value: String

    init(_ text: String) throws(ValidationError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw ValidationError("--env `\(text)`: expected NAME=VALUE")
        }
        name = String(text[..<equals])
        value = String(text[text.index(after: equals)...])
        guard let first = name.utf8.first, Self.isNameStart(first), name.utf8.allSatisfy({ Self.isNameStart($0) || (48...57).contains($0) }) else {
            throw ValidationError("--env `\(text)`: `\(name)` is not a variable name (letters, digits and `_`, not starting with a digit)")
        }
        guard !name.hasPrefix("JOBDIR_") else {
            throw ValidationError("--env `\(text)`: names starting with JOBDIR_ are set by jobdir itself")
        }
        guard !TriggerRequest.isIgnoredName(name) else {
            throw ValidationError("--env `\(text)`: a trigger request may not set \(name): the dynamic loader or a shell acts on it "
                + "before the command; set it in the job file's `env` if the job needs it")
        }
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        (65...90).contains(byte) || (97...122).contains(byte) || byte == 95
    }
}
