import Cron
import Cron
import Foundation
import Glibc
import Service

/// One line per event on stderr: `TIME EVENT key=value ...`, or one JSON
/// object per line with `--log-format json`. Under systemd, entries go to the journal
/// instead, with fields (`DaemonLog+Journal.swift`).
package struct DaemonLog: Sendable {
    package enum Format: String, Sendable { case text, json }

    package var format: Format
    let journal: JournalWriter?

    package init(format: Format) {
        self.format = format
        journal = JournalWriter.forServiceManager(environment: ProcessInfo.processInfo.environment)
    }

    package func event(_ name: String, _ fields: KeyValuePairs<String, String?> = [:]) {
        event(name, fields: fields.map { ($0.key, $0.value) })
    }

    /// The same with fields built at run time, in order.
    package func event(_ name: String, fields: [(key: String, value: String?)]) {
        let time = Timestamp.format(Date())
        var line: String
        switch format {
        case .text:
            line = time + " " + name
            for (key, value) in fields {
                guard let value else { continue }
                line += " \(key)=" + (value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) || value.isEmpty ? quoted(value) : value)
            }
        case .json:
            line = "{\"time\":\(quoted(time)),\"event\":\(quoted(name))"
            for (key, value) in fields {
                guard let value else { continue }
                line += ",\(quoted(key)):\(quoted(value))"
            }
            line += "}"
        }
        if let journal, journal.send(journalFields(name, fields, line: line)) { return }
        line += "\n"
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// A JSON string literal (also used for text values that need quoting).
    private func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// One line on stderr, for errors that stop the daemon before its log starts.
func printError(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
