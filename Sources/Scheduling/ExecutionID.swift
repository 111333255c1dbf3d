import Cron
import Foundation

/// An execution id: `20261123T013000.000Z-cron-7f3a` (UTC time the occurrence was due,
/// trigger kind, 4 hex chars). Ids of one job sort by due time as plain strings.
package struct ExecutionID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    package let rawValue: String

    /// Wraps an id read back from a file or a command line; nil unless it has the id's shape.
    package init?(rawValue: String) {
        guard ExecutionID.parse(rawValue) != nil else { return nil }
        self.rawValue = rawValue
    }

    /// Builds the id of an execution due at `dueAt`. `random` supplies the 4 hex chars
    /// (the caller draws it, so this stays pure and testable).
    package init(dueAt: Date, trigger: TriggerKind, random: UInt16) {
        let hex = String(random, radix: 16)
        rawValue = "\(Timestamp.compact(dueAt))-\(trigger.rawValue)-\(String(repeating: "0", count: 4 - hex.count))\(hex)"
    }

    /// The due time encoded in the id.
    package var dueAt: Date { ExecutionID.parse(rawValue)!.dueAt }
    /// The trigger kind encoded in the id.
    package var trigger: TriggerKind { ExecutionID.parse(rawValue)!.trigger }

    package var description: String { rawValue }
    package static func < (a: ExecutionID, b: ExecutionID) -> Bool { a.rawValue < b.rawValue }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let id = ExecutionID(rawValue: text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an execution id: \(text)")
        }
        self = id
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    private static func parse(_ text: String) -> (dueAt: Date, trigger: TriggerKind)? {
        // 20261123T013000.000Z = 20 chars, then -kind-hhhh
        let u = Array(text.utf8)
        guard u.count >= 20 + 1 + 1 + 5 else { return nil }
        let stamp = String(decoding: u[0..<20], as: UTF8.self)
        guard u[20] == UInt8(ascii: "-"), u[u.count - 5] == UInt8(ascii: "-") else { return nil }
        let hex = u[(u.count - 4)...]
        guard hex.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        let kind = TriggerKind(rawValue: String(decoding: u[21..<(u.count - 5)], as: UTF8.self))
        guard kind.isWellFormed else { return nil }
        // Re-expand the compact stamp to RFC 3339 and parse it.
        let s = Array(stamp.utf8)
        guard s[8] == UInt8(ascii: "T"), s[15] == UInt8(ascii: "."), s[19] == UInt8(ascii: "Z") else { return nil }
        func part(_ r: Range<Int>) -> String { String(decoding: s[r], as: UTF8.self) }
        let rfc = "\(part(0..<4))-\(part(4..<6))-\(part(6..<8))T\(part(9..<11)):\(part(11..<13)):\(part(13..<15))\(part(15..<20))"
        guard let date = Timestamp.parse(rfc) else { return nil }
        return (date, kind)
    }
}
