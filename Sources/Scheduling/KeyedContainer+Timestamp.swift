import Cron
import Foundation

// Timestamps are strings in the one RFC 3339 form (`Timestamp`), whatever the coder's
// date strategy; optional ones are written as explicit `null`.

extension KeyedEncodingContainer {
    mutating func encodeTimestamp(_ date: Date?, forKey key: Key) throws {
        if let date { try encode(Timestamp.format(date), forKey: key) } else { try encodeNil(forKey: key) }
    }

    /// Writes `value`, or an explicit `null` when it is nil (synthesized Codable would omit it).
    mutating func encodeOrNull<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}

extension KeyedDecodingContainer {
    func decodeTimestamp(forKey key: Key) throws -> Date {
        let text = try decode(String.self, forKey: key)
        guard let date = Timestamp.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not an RFC 3339 timestamp: \(text)")
        }
        return date
    }

    func decodeTimestampIfPresent(forKey key: Key) throws -> Date? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decodeTimestamp(forKey: key)
    }
}
