import Foundation
import Scheduling
import Testing
@testable import StateStore

/// `StateJSONEncoder` must write what Foundation's encoder writes, byte for byte: every
/// state file a user's `jq` or script has read stays the same.
@Suite struct StateJSONEncoderTests {
    /// Any JSON shape, with the values state documents hold (no floating point).
    indirect enum Value: Encodable {
        case null, bool(Bool), int(Int), int64(Int64), unsigned(UInt64), string(String), date(Date)
        case optional(String?)
        case array([Value]), object([String: Value])

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
            case .bool(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .int(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .int64(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .unsigned(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .string(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .date(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .optional(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .array(let items):
                var c = encoder.unkeyedContainer()
                for item in items { try c.encode(item) }
            case .object(let entries):
                var c = encoder.container(keyedBy: Key.self)
                for (key, value) in entries {
                    // Both the generic path and the container's own: `encodeIfPresent` skips nil.
                    if case .optional(let text) = value { try c.encodeIfPresent(text, forKey: Key(key)) } else { try c.encode(value, forKey: Key(key)) }
                }
                if entries.count % 3 == 1 {
                    var nested = c.nestedContainer(keyedBy: Key.self, forKey: Key("nested"))
                    try nested.encode(entries.count, forKey: Key("count"))
                    var list = c.nestedUnkeyedContainer(forKey: Key("list"))
                    try list.encode("x")
                    try list.encodeNil()
                }
            }
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ text: String) { stringValue = text }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Text with every class of character the escaping treats apart.
    static func text(_ random: inout some RandomNumberGenerator) -> String {
        let pieces = ["a", "Z", "_", "-", ".", "/", "\"", "\\", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{0}", "\u{1}", "\u{1f}",
                      "\u{7f}", "é", "e\u{301}", "ß", "日本", "😀", "\u{2028}", "\u{feff}", "10", "9", " ", "{", "]", "null"]
        return (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    static func value(depth: Int, _ random: inout some RandomNumberGenerator) -> Value {
        switch Int.random(in: 0...(depth > 3 ? 7 : 9), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .int(Int.random(in: Int.min...Int.max, using: &random))
        case 3: return .int64(Int64.random(in: -1000...1000, using: &random))
        case 4: return .unsigned(UInt64.random(in: 0...UInt64.max, using: &random))
        case 5: return .string(text(&random))
        case 6: return .date(Date(timeIntervalSince1970: Double(Int64.random(in: 0...4_000_000_000_000, using: &random)) / 1000))
        case 7: return .optional(Bool.random(using: &random) ? text(&random) : nil)
        case 8: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in value(depth: depth + 1, &random) })
        default:
            var entries: [String: Value] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &random) { entries[text(&random)] = value(depth: depth + 1, &random) }
            return .object(entries)
        }
    }

    func foundation<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(try StateJSON.encodeByFoundation(value).dropLast())
    }

    @Test func writesWhatFoundationWritesForAnyShape() throws {
        var random = SeededGenerator(seed: 0x5EED_15ED)
        for index in 0..<5000 {
            let value = Self.value(depth: 0, &random)
            let ours = try StateJSONEncoder().encode(value), theirs = try foundation(value)
            try #require(ours == theirs, "case \(index):\n\(String(decoding: ours, as: UTF8.self))\n---\n\(String(decoding: theirs, as: UTF8.self))")
        }
    }

    @Test func writesWhatFoundationWritesForEveryStateFileSeed() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/corpus/state-file").standardized
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted()
        #expect(names.count >= 10)
        var compared = 0
        for name in names {
            let bytes = Array(try Data(contentsOf: corpus.appendingPathComponent(name)).dropFirst())
            func check<T: Codable>(_ type: T.Type) throws {
                guard let document = try? StateJSON.decode(type, from: bytes, path: name) else { return }
                #expect(try StateJSONEncoder().encode(document) == foundation(document), "\(name) as \(type)")
                compared += 1
            }
            try check(ExecutionRecord.self)
            try check(JobResult.self)
            try check(ApprovalFile.self)
        }
        #expect(compared >= 10, "the seeds decode as state documents")
        let record = sampleRecord()
        #expect(try StateJSONEncoder().encode(record) == foundation(record))
    }

    @Test func floatingPointIsLeftToFoundation() throws {
        struct Measured: Encodable { var ratio = 0.1; var big = 1e20; var name = "x" }
        #expect(throws: StateJSONEncoder.Unsupported.self) { try StateJSONEncoder().encode(Measured()) }
        #expect(try StateJSON.encode(Measured(), path: "-") == StateJSON.encodeByFoundation(Measured()))
    }
}

/// A fixed-seed generator (SplitMix64), so a failure names a case that can be run again.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
