import Foundation

/// JSON as jobdir prints it: pretty, sorted keys, no escaped slashes.
enum JSONText {
    static func render(_ value: Any) throws -> String {
        if let array = value as? [Any], array.isEmpty { return "[]" }
        let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
