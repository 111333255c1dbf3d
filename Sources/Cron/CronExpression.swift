// Placeholder: the cron engine replaces this file, keeping `init(_:)` and `CronSyntaxError`.

/// A parsed cron expression (5 fields, 6 with leading seconds, or a macro).
package struct CronExpression: Sendable, Hashable {
    /// The expression as written.
    package let text: String

    /// Parses `text`; throws a `CronSyntaxError` that says what is wrong.
    package init(_ text: String) throws(CronSyntaxError) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard text.hasPrefix("@") || fields.count == 5 || fields.count == 6 else {
            throw CronSyntaxError(message: "expected 5 or 6 fields, found \(fields.count)")
        }
        self.text = text
    }
}

/// Why a cron expression was refused.
package struct CronSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    package var message: String
    package init(message: String) { self.message = message }
    package var description: String { message }
}
