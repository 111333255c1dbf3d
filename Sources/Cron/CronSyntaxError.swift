/// Why a cron expression was refused: what is wrong and, for field errors, in which field.
package struct CronSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    package var message: String
    package init(message: String) { self.message = message }
    package var description: String { message }
}
