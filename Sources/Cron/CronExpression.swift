import Foundation

/// A parsed cron expression: 5 fields (minute hour day-of-month month day-of-week),
/// 6 with a leading seconds field, or a macro (`@daily` ...).
///
/// Parsing and evaluation follow Debian cron as the Python package cronsim 2.x
/// implements it, edge cases included; see `nextFire(after:in:)`.
/// Unlike cronsim, expressions that can never fire are refused.
package struct CronExpression: Sendable, Hashable {
    /// The expression as written.
    package let text: String
    /// What the fields mean, ready for evaluation.
    let fields: CronFields

    /// The macros and the 5-field expressions they stand for.
    package static let macros: [(name: String, expansion: String)] = [
        ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ]

    /// Parses `text`; throws a `CronSyntaxError` that says what is wrong and in which field.
    package init(_ text: String) throws(CronSyntaxError) {
        self.text = text
        let upper = text.uppercased()
        var parts = Self.splitOnWhitespace(upper)
        if let first = parts.first, first.hasPrefix("@") {
            let name = first.lowercased()
            guard parts.count == 1, let macro = Self.macros.first(where: { $0.name == name }) else {
                let known = Self.macros.map(\.name).joined(separator: ", ")
                if name == "@reboot" || name == "@every" {
                    throw CronSyntaxError(message: "`\(name)` is not a cron expression (job files handle @reboot and @every themselves); cron macros are \(known)")
                }
                throw CronSyntaxError(message: "unknown macro `\(text.trimmingCharacters(in: .whitespacesAndNewlines))`; expected one of \(known)")
            }
            parts = Self.splitOnWhitespace(macro.expansion)
        }
        guard parts.count == 5 || parts.count == 6 else {
            throw CronSyntaxError(message: "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with leading seconds), found \(parts.count)")
        }
        let hasSeconds = parts.count == 6
        if !hasSeconds { parts.insert("0", at: 0) }
        var values = [CronField.Value]()
        for field in CronField.allCases {
            do throws(CronField.Failure) {
                values.append(try field.parse(parts[field.rawValue][...]))
            } catch {
                throw CronSyntaxError(message: "\(field.name) field: \(error.detail)")
            }
        }
        fields = CronFields(
            values: values,
            daysAreAnded: parts[3].hasPrefix("*") || parts[5].hasPrefix("*"),
            fixesUpDST: !hasSeconds && !parts[1].hasPrefix("*") && !parts[2].hasPrefix("*")
        )
        if let problem = fields.reasonItNeverFires(dayOfMonthText: parts[3], dayOfWeekText: parts[5]) {
            throw CronSyntaxError(message: problem)
        }
    }

    /// Splits on what Python's `str.split()` treats as whitespace.
    private static func splitOnWhitespace(_ text: String) -> [String] {
        var parts = [String]()
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isPythonSpace(scalar) {
                if !current.isEmpty { parts.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { parts.append(String(current)) }
        return parts
    }

    private static func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }
}
