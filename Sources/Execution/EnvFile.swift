import Glibc
import SystemCalls

/// A `KEY=VALUE` file (`env_file`), read at each run. Its values go into the child's
/// environment only: nothing here writes or logs them.
///
/// Syntax: blank lines and `#` comments; an optional `export ` prefix; unquoted values
/// are trimmed and end at ` #`; `'single'` quotes are literal; `"double"` quotes take
/// `\n`, `\t`, `\r`, `\"`, `\\` and `\$` escapes. A later key wins over an earlier one.
package enum EnvFile {
    /// Reads and parses the file at `path`.
    package static func read(_ path: String) throws(EnvFileError) -> [String: String] {
        let bytes: [UInt8]
        do { bytes = try Sys.readSmallFile(path) } catch {
            throw EnvFileError(path: path, line: nil, message: error.text)
        }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path)
    }

    /// Reads several files in order; later files override earlier ones.
    package static func read(_ paths: [String]) throws(EnvFileError) -> [String: String] {
        var result: [String: String] = [:]
        for path in paths { result.merge(try read(path)) { _, new in new } }
        return result
    }

    package static func parse(_ text: String, path: String) throws(EnvFileError) -> [String: String] {
        var result: [String: String] = [:]
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            var line = Substring(rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine)
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") || line.hasPrefix("export\t") {
                line = line.dropFirst(7).drop { $0 == " " || $0 == "\t" }
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw EnvFileError(path: path, line: lineNumber, message: "expected KEY=VALUE")
            }
            let key = String(line[..<equals].trimmingSuffix { $0 == " " || $0 == "\t" })
            guard isValidKey(key) else {
                throw EnvFileError(path: path, line: lineNumber, message: "invalid variable name `\(key)`")
            }
            let rest = line[line.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
            result[key] = try value(rest, path: path, line: lineNumber)
        }
        return result
    }

    private static func isValidKey(_ key: String) -> Bool {
        guard let first = key.utf8.first, first == 95 || (65...90).contains(first) || (97...122).contains(first) else {
            return false
        }
        return key.utf8.allSatisfy { $0 == 95 || (65...90).contains($0) || (97...122).contains($0) || (48...57).contains($0) }
    }

    private static func value(_ text: Substring, path: String, line: Int) throws(EnvFileError) -> String {
        guard let quote = text.first, quote == "'" || quote == "\"" else {
            // Unquoted: up to an inline comment, trimmed.
            var end = text.endIndex
            var i = text.startIndex
            while i < text.endIndex {
                if text[i] == "#", i > text.startIndex, [" ", "\t"].contains(text[text.index(before: i)]) {
                    end = i
                    break
                }
                i = text.index(after: i)
            }
            return String(text[..<end].trimmingSuffix { $0 == " " || $0 == "\t" })
        }
        var result = ""
        var i = text.index(after: text.startIndex)
        while i < text.endIndex {
            let c = text[i]
            if c == quote {
                let after = text[text.index(after: i)...].drop { $0 == " " || $0 == "\t" }
                guard after.isEmpty || after.hasPrefix("#") else {
                    throw EnvFileError(path: path, line: line, message: "unexpected text after the closing quote")
                }
                return result
            }
            if quote == "\"" && c == "\\" && text.index(after: i) < text.endIndex {
                i = text.index(after: i)
                switch text[i] {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "r": result.append("\r")
                case "\"", "\\", "$": result.append(text[i])
                default: result.append("\\"); result.append(text[i])
                }
            } else {
                result.append(c)
            }
            i = text.index(after: i)
        }
        throw EnvFileError(path: path, line: line, message: "missing closing \(quote)")
    }
}

/// An env_file that cannot be read or parsed; never includes a value.
package struct EnvFileError: Error, Hashable, Sendable, CustomStringConvertible {
    package var path: String
    package var line: Int?
    package var message: String
    package var description: String { line.map { "\(path):\($0): \(message)" } ?? "\(path): \(message)" }
}

extension Substring {
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
        var end = endIndex
        while end > startIndex, predicate(self[index(before: end)]) { end = index(before: end) }
        return self[startIndex..<end]
    }
}
