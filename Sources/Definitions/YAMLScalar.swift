/// A scalar resolved by the YAML 1.1 rules for plain scalars.
package enum YAMLScalar: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)

    package var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .float: return "a number"
        case .string: return "a string"
        }
    }

    private static let trueWords: Set<String> = ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]
    private static let falseWords: Set<String> = ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]
    private static let nullWords: Set<String> = ["", "~", "null", "Null", "NULL"]
    private static let floatBytes = Array("0123456789.eE+-_".utf8)

    /// Resolves a plain (unquoted) scalar; quoted scalars are always strings.
    package static func resolve(_ text: String, quoted: Bool, tag: String?) -> YAMLScalar {
        switch tag {
        case "tag:yaml.org,2002:str": return .string(text)
        case "tag:yaml.org,2002:null": return .null
        case "tag:yaml.org,2002:bool":
            if trueWords.contains(text) { return .bool(true) }
            if falseWords.contains(text) { return .bool(false) }
            return .string(text)
        case "tag:yaml.org,2002:int": return Int(text).map(YAMLScalar.int) ?? .string(text)
        case "tag:yaml.org,2002:float": return Double(text).map(YAMLScalar.float) ?? .string(text)
        default: break
        }
        if quoted { return .string(text) }
        // No word above is longer than five bytes.
        if text.utf8.count <= 5 {
            if nullWords.contains(text) { return .null }
            if trueWords.contains(text) { return .bool(true) }
            if falseWords.contains(text) { return .bool(false) }
        }
        if let int = parseInt(text) { return .int(int) }
        if let float = parseFloat(text) { return .float(float) }
        return .string(text)
    }

    private static func parseInt(_ text: String) -> Int? {
        // `Int(_:radix:)` takes nothing but signs, ASCII letters and digits: anything else
        // (a space, any non-ASCII byte) is a string without a closer look.
        let candidate = text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "-"): true
            default: false
            }
        }
        guard candidate else { return nil }
        var body = Substring(text.filter { $0 != "_" })
        var sign = 1
        if body.first == "-" { sign = -1; body = body.dropFirst() } else if body.first == "+" { body = body.dropFirst() }
        guard let first = body.first, first.isASCII, first.isNumber else { return nil }
        if body.hasPrefix("0x") { return Int(body.dropFirst(2), radix: 16).map { $0 * sign } }
        if body.hasPrefix("0b") { return Int(body.dropFirst(2), radix: 2).map { $0 * sign } }
        if body.count > 1, body.hasPrefix("0") { return Int(body.dropFirst(), radix: 8).map { $0 * sign } }
        return Int(body, radix: 10).map { $0 * sign }
    }

    private static func parseFloat(_ text: String) -> Double? {
        // Bytes, not characters: every character of the pattern is one ASCII byte.
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let pattern = text.utf8.allSatisfy { floatBytes.contains($0) } && text.utf8.contains(where: isDigit)
        guard pattern, text.utf8.contains(UInt8(ascii: ".")) else {
            return [".inf", ".Inf", ".INF", "+.inf", "-.inf", ".nan", ".NaN", ".NAN"].contains(text) ? Double.nan : nil
        }
        return Double(String(text.filter { $0 != "_" }))
    }
}

extension YAMLNode {
    /// This scalar resolved by YAML 1.1's rules; `.null` for collections is never returned.
    package var resolvedScalar: YAMLScalar {
        guard case .scalar(let text, let quoted) = value else { return .string("") }
        return YAMLScalar.resolve(text, quoted: quoted, tag: tag)
    }
}
