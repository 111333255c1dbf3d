import Foundation
import StateStore

/// JSON as the operator's verbs print it: the state files' format (pretty, sorted keys,
/// unescaped slashes), with empty containers written `{}` and `[]`.
enum JSONOutput {
    /// A tree of dictionaries, arrays, strings, numbers, booleans and `NSNull`.
    static func render(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return tidy(String(decoding: data, as: UTF8.self)) + "\n"
    }

    /// An encodable value (execution records), encoded exactly as state files are.
    static func render<T: Encodable>(encoding value: T) throws -> String {
        tidy(String(decoding: try StateJSON.encode(value, path: "-"), as: UTF8.self))
    }

    /// Foundation writes an empty container as an opening bracket, a blank line and the
    /// closing bracket; a raw newline never occurs inside a JSON string, so this is safe.
    private static func tidy(_ text: String) -> String {
        text.replacingOccurrences(of: #"\{\n\n *\}"#, with: "{}", options: .regularExpression)
            .replacingOccurrences(of: #"\[\n\n *\]"#, with: "[]", options: .regularExpression)
    }
}
