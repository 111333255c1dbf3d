import Foundation

/// Reading etcd's JSON gateway answers: int64 fields arrive as strings, zero and false
/// fields are left out, keys and values are base64.
enum EtcdValue {
    /// An int64 field: a JSON string ("42"), a number, or absent (0).
    static func int64(_ object: [String: Any], _ name: String) -> Int64 {
        switch object[name] {
        case let text as String: return Int64(text) ?? 0
        case let number as NSNumber: return number.int64Value
        default: return 0
        }
    }

    /// A bool field; absent means false.
    static func bool(_ object: [String: Any], _ name: String) -> Bool {
        (object[name] as? NSNumber)?.boolValue ?? false
    }

    /// A bytes field (base64); absent means empty.
    static func bytes(_ object: [String: Any], _ name: String) -> [UInt8] {
        guard let text = object[name] as? String, let data = Data(base64Encoded: text) else { return [] }
        return Array(data)
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
    static func base64(_ text: String) -> String { base64(Array(text.utf8)) }

    /// The key just past every key starting with `prefix` (etcd's `range_end` of a prefix).
    static func prefixEnd(_ prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }
}
