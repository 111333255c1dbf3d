import Foundation

/// The one JSON format of state/: UTF-8, pretty-printed, sorted keys, unescaped slashes,
/// a trailing newline. Timestamps are encoded by the types themselves (RFC 3339 ms UTC).
package enum StateJSON {
    package static func encode<T: Encodable>(_ value: T, path: String) throws(StateStoreError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            var bytes = [UInt8](try encoder.encode(value))
            bytes.append(UInt8(ascii: "\n"))
            return bytes
        } catch {
            throw StateStoreError(code: .encoding, path: path, message: "cannot encode: \(error)")
        }
    }

    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], path: String) throws(StateStoreError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw StateStoreError(code: .unreadable, path: path, message: "not a valid \(type) file: \(error)")
        }
    }
}
