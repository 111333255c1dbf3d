import Cron
import Foundation
import Scheduling

/// The one JSON format of state/: UTF-8, pretty-printed, sorted keys, unescaped slashes,
/// a trailing newline. Timestamps are RFC 3339 in UTC with milliseconds.
package enum StateJSON {
    package static func encode<T: Encodable>(_ value: T, path: String) throws(StateStoreError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
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
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .custom { decoder in
                let container = try decoder.singleValueContainer()
                let text = try container.decode(String.self)
                guard let date = Timestamp.parse(text) else {
                    throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time: \(text)")
                }
                return date
            }
            return try decoder.decode(type, from: Data(bytes))
        } catch {
            throw StateStoreError(code: .unreadable, path: path, message: "not a valid \(type) file: \(error)")
        }
    }
}
