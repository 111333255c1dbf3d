import Cron
import Foundation
import Scheduling

/// The one JSON format of state/: UTF-8, pretty-printed, sorted keys, unescaped slashes,
/// a trailing newline. Timestamps are RFC 3339 in UTC with milliseconds.
package enum StateJSON {
    /// Foundation's encoder, for what `StateJSONEncoder` leaves to it (floating point);
    /// made once (safe to share between threads).
    private static let foundationEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }()

    /// The document's bytes: what Foundation's encoder writes, by `StateJSONEncoder`.
    package static func encode<T: Encodable>(_ value: T, path: String) throws(StateStoreError) -> [UInt8] {
        do {
            var bytes: [UInt8]
            do { bytes = try StateJSONEncoder().encode(value) } catch is StateJSONEncoder.Unsupported {
                bytes = [UInt8](try foundationEncoder.encode(value))
            }
            bytes.append(UInt8(ascii: "\n"))
            return bytes
        } catch {
            throw StateStoreError(code: .encoding, path: path, message: "cannot encode: \(error)")
        }
    }

    /// Foundation's bytes for `value`, which `encode` must equal (checked by tests and the fuzzer).
    package static func encodeByFoundation<T: Encodable>(_ value: T) throws -> [UInt8] {
        var bytes = [UInt8](try foundationEncoder.encode(value))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// One decoder for every call, as the encoder (safe to share between threads).
    private static let decoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time: \(text)")
            }
            return date
        }
        return decoder
    }()

    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], path: String) throws(StateStoreError) -> T {
        do {
            return try decoder.decode(type, from: Data(bytes))
        } catch {
            throw StateStoreError(code: .unreadable, path: path, message: "not a valid \(type) file: \(error)")
        }
    }
}
