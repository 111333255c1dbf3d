/// A bad `--max-parallel` or `--pool` value. `description` is the one line to print:
/// what is wrong and what to write instead.
package struct RunLimitsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The option, `--max-parallel` or `--pool`.
    package var option: String
    /// The value as given.
    package var value: String
    package var message: String

    package init(option: String, value: String, message: String) {
        self.option = option
        self.value = value
        self.message = message
    }

    package var description: String { "invalid \(option) `\(value)`: \(message)" }
}
