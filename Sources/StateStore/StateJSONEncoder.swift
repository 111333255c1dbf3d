import Cron
import Foundation

/// Encodes a state document to the bytes Foundation's `JSONEncoder` writes with
/// `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]` and dates as `Timestamp`
/// strings, byte for byte, at a fraction of its cost: the values go into a small tree
/// of nodes, which is then printed once. Keys sort by their UTF-8 bytes, as Foundation's
/// do; strings escape what Foundation escapes.
///
/// Floating-point numbers are not handled (state documents have none, and Foundation's
/// formatting of them is its own): a document holding one throws `unsupported`, and the
/// caller falls back to Foundation.
struct StateJSONEncoder {
    struct Unsupported: Error {}

    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let slot = Slot()
        try Self.encode(value, into: slot)
        var output: [UInt8] = []
        output.reserveCapacity(1024)
        Self.print(slot.node ?? .object(ObjectNode()), indent: 0, into: &output)
        return output
    }

    /// A value's node: dates as timestamps, the rest by their own `encode(to:)`.
    /// Types are compared, not cast: a cast of every value costs more than its encoding.
    /// Coding paths are left empty: nothing here throws an error that would name one.
    fileprivate static func encode<T: Encodable>(_ value: T, into slot: Slot) throws {
        if T.self == String.self {
            slot.node = .string(value as! String)
        } else if T.self == Date.self {
            slot.node = .string(Timestamp.format(value as! Date))
        } else if T.self == Double.self || T.self == Float.self {
            throw Unsupported()
        } else {
            try value.encode(to: TreeEncoder(slot: slot))
        }
    }

    fileprivate static func node<T: Encodable>(of value: T) throws -> Node {
        let slot = Slot()
        try encode(value, into: slot)
        return slot.node ?? .object(ObjectNode())
    }

    // MARK: - Printing, as Foundation's pretty printer does

    private static func print(_ node: Node, indent: Int, into output: inout [UInt8]) {
        switch node {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): output.append(contentsOf: String(value).utf8)
        case .unsigned(let value): output.append(contentsOf: String(value).utf8)
        case .string(let value): printString(value, into: &output)
        case .array(let array):
            output.append(UInt8(ascii: "["))
            output.append(UInt8(ascii: "\n"))
            for (index, item) in array.items.enumerated() {
                if index > 0 { output.append(contentsOf: ",\n".utf8) }
                spaces(indent + 2, into: &output)
                print(item, indent: indent + 2, into: &output)
            }
            output.append(UInt8(ascii: "\n"))
            spaces(indent, into: &output)
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            output.append(UInt8(ascii: "\n"))
            for (index, entry) in object.entries.sorted(by: precedes).enumerated() {
                if index > 0 { output.append(contentsOf: ",\n".utf8) }
                spaces(indent + 2, into: &output)
                printString(entry.key, into: &output)
                output.append(contentsOf: " : ".utf8)
                print(entry.node, indent: indent + 2, into: &output)
            }
            output.append(UInt8(ascii: "\n"))
            spaces(indent, into: &output)
            output.append(UInt8(ascii: "}"))
        }
    }

    /// UTF-8 byte order (Foundation's key order); for ASCII keys that is `String <`.
    private static func precedes(_ left: ObjectNode.Entry, _ right: ObjectNode.Entry) -> Bool {
        left.isASCII && right.isASCII ? left.key < right.key : left.key.utf8.lexicographicallyPrecedes(right.key.utf8)
    }

    private static func spaces(_ count: Int, into output: inout [UInt8]) {
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count))
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private static func printString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        defer { output.append(UInt8(ascii: "\"")) }
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.append(contentsOf: text.utf8)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): output.append(contentsOf: "\\\\".utf8)
            case 0x0A: output.append(contentsOf: "\\n".utf8)
            case 0x0D: output.append(contentsOf: "\\r".utf8)
            case 0x09: output.append(contentsOf: "\\t".utf8)
            case 0x08: output.append(contentsOf: "\\b".utf8)
            case 0x0C: output.append(contentsOf: "\\f".utf8)
            case 0..<0x20:
                output.append(contentsOf: "\\u00".utf8)
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0xF)])
            default: output.append(byte)
            }
        }
    }
}

// MARK: - The tree

fileprivate enum Node {
    case null, bool(Bool), int(Int64), unsigned(UInt64), string(String)
    case array(ArrayNode), object(ObjectNode)
}

/// Containers are filled after they are handed out (nested containers), so they are references.
fileprivate final class ArrayNode { var items: [Node] = [] }
/// An object's members in the order written; a key written again replaces its value (keys
/// equal as Swift strings are one key, as in Foundation's dictionary).
fileprivate final class ObjectNode {
    struct Entry {
        var key: String
        var isASCII: Bool
        var node: Node
    }

    var entries: [Entry] = []

    func put(_ node: Node, _ key: String) {
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].node = node
        } else {
            entries.append(Entry(key: key, isASCII: key.utf8.allSatisfy { $0 < 0x80 }, node: node))
        }
    }
}

/// Where one value's node goes.
fileprivate final class Slot { var node: Node? }

fileprivate struct TreeEncoder: Encoder {
    let slot: Slot
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: ObjectNode
        if case .object(let existing) = slot.node { object = existing } else {
            object = ObjectNode()
            slot.node = .object(object)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(object: object))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: ArrayNode
        if case .array(let existing) = slot.node { array = existing } else {
            array = ArrayNode()
            slot.node = .array(array)
        }
        return UnkeyedContainer(array: array)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(slot: slot)
    }
}

fileprivate struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let object: ObjectNode
    var codingPath: [any CodingKey] { [] }

    private func put(_ node: Node, _ key: Key) { object.put(node, key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.int(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(.unsigned(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { throw StateJSONEncoder.Unsupported() }
    mutating func encode(_ value: Float, forKey key: Key) throws { throw StateJSONEncoder.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        put(try StateJSONEncoder.node(of: value), key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectNode()
        put(.object(nested), key)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(object: nested))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = ArrayNode()
        put(.array(nested), key)
        return UnkeyedContainer(array: nested)
    }

    /// A super encoder writes an object under the key (Foundation's `{}` when left empty).
    mutating func superEncoder() -> any Encoder { superEncoder(named: "super", key: nil) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue, key: key) }

    private func superEncoder(named name: String, key: Key?) -> any Encoder {
        let nested = ObjectNode(), slot = Slot()
        object.put(.object(nested), name)
        slot.node = .object(nested)
        return TreeEncoder(slot: slot)
    }
}

fileprivate struct UnkeyedContainer: UnkeyedEncodingContainer {
    let array: ArrayNode
    var codingPath: [any CodingKey] { [] }
    var count: Int { array.items.count }

    mutating func encodeNil() throws { array.items.append(.null) }
    mutating func encode(_ value: Bool) throws { array.items.append(.bool(value)) }
    mutating func encode(_ value: String) throws { array.items.append(.string(value)) }
    mutating func encode(_ value: Int) throws { array.items.append(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { array.items.append(.int(value)) }
    mutating func encode(_ value: UInt64) throws { array.items.append(.unsigned(value)) }
    mutating func encode(_ value: Double) throws { throw StateJSONEncoder.Unsupported() }
    mutating func encode(_ value: Float) throws { throw StateJSONEncoder.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T) throws {
        array.items.append(try StateJSONEncoder.node(of: value))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectNode()
        array.items.append(.object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(object: nested))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = ArrayNode()
        array.items.append(.array(nested))
        return UnkeyedContainer(array: nested)
    }

    mutating func superEncoder() -> any Encoder {
        let nested = ObjectNode(), slot = Slot()
        array.items.append(.object(nested))
        slot.node = .object(nested)
        return TreeEncoder(slot: slot)
    }
}

fileprivate struct SingleValueContainer: SingleValueEncodingContainer {
    let slot: Slot
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { slot.node = .null }
    mutating func encode(_ value: Bool) throws { slot.node = .bool(value) }
    mutating func encode(_ value: String) throws { slot.node = .string(value) }
    mutating func encode(_ value: Int) throws { slot.node = .int(Int64(value)) }
    mutating func encode(_ value: Int8) throws { slot.node = .int(Int64(value)) }
    mutating func encode(_ value: Int16) throws { slot.node = .int(Int64(value)) }
    mutating func encode(_ value: Int32) throws { slot.node = .int(Int64(value)) }
    mutating func encode(_ value: Int64) throws { slot.node = .int(value) }
    mutating func encode(_ value: UInt) throws { slot.node = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { slot.node = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { slot.node = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { slot.node = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { slot.node = .unsigned(value) }
    mutating func encode(_ value: Double) throws { throw StateJSONEncoder.Unsupported() }
    mutating func encode(_ value: Float) throws { throw StateJSONEncoder.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T) throws { try StateJSONEncoder.encode(value, into: slot) }
}
