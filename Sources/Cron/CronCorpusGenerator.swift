/// Random cron expressions covering every syntax feature, from a seed, for the
/// differential test against cronsim and for the benchmark. A few are deliberately
/// invalid, so rejections are compared too.
package struct CronCorpusGenerator: Sendable {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    /// SplitMix64.
    package mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `range`.
    package mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(nextUInt64() % UInt64(range.count))
    }

    package mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }

    private mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// The zones of the differential corpus.
    package static let zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                                "Asia/Kathmandu", "America/Santiago"]

    /// One differential case: an expression, a zone (index into `zones`) and a start instant.
    package struct Case: Sendable {
        package var expression: String
        package var zone: Int
        package var start: Int64
    }

    /// Transitions that starts cluster around: 1970-2061, and 2100-2477 (the TZ footer rule).
    package static func clusterPoints(of zone: TimeZoneRules) -> [Int64] {
        zone.transitions(in: 0..<2_900_000_000) + zone.transitions(in: 4_100_000_000..<16_000_000_000)
    }

    /// The next case; `clusterPoints[i]` belongs to `zones[i]`. Starts are mostly within
    /// three hours of a DST transition of the zone (some exactly at it, some on whole
    /// minutes), the rest anywhere in 1970-2065.
    package mutating func nextCase(clusterPoints: [[Int64]]) -> Case {
        let zone = int(0...(clusterPoints.count - 1))
        let list = clusterPoints[zone]
        var start: Int64
        if list.isEmpty || chance(15) {
            start = Int64(int(0...3_000_000_000))
        } else {
            let t = list[int(0...(list.count - 1))]
            switch int(0...9) {
            case 0: start = t + Int64(int(-2...1))
            case 1, 2, 3: start = t + Int64(int(-180...180)) * 60
            default: start = t + Int64(int(-10_800...10_800))
            }
        }
        return Case(expression: expression(), zone: zone, start: start)
    }

    /// One expression.
    package mutating func expression() -> String {
        if chance(3) {
            let macro = pick(CronExpression.macros.map(\.name))
            return chance(20) ? macro.uppercased() : macro
        }
        var fields = [String]()
        if chance(12) { fields.append(field(0...59, names: nil)) }
        // Fixed minute and hour often, so the DST fix-up is exercised; hours near the
        // usual transition times (0-3) are favoured.
        if chance(45) {
            fields.append(chance(80) ? String(pick([0, 0, 15, 30, 45, int(0...59)])) : list(0...59, names: nil))
            fields.append(chance(70) ? String(pick([0, 1, 2, 3, 2, 1, int(0...23)])) : list(0...23, names: nil))
        } else {
            fields.append(field(0...59, names: nil))
            fields.append(field(0...23, names: nil))
        }
        fields.append(dayOfMonth())
        fields.append(field(1...12, names: CronField.monthNames))
        fields.append(dayOfWeek())
        var text = fields.joined(separator: chance(5) ? "  " : " ")
        if chance(10) { text = text.lowercased() }
        if chance(4) { text = corrupt(text, fields: fields) }
        return text
    }

    private mutating func value(_ range: ClosedRange<Int>, names: [String]?) -> String {
        let v = int(range)
        if let names, chance(30) {
            let index = names.count == 7 ? v % 7 : v - 1
            return names[index]
        }
        return String(v)
    }

    private mutating func term(_ range: ClosedRange<Int>, names: [String]?) -> String {
        switch int(0...9) {
        case 0, 1: return value(range, names: names)
        case 2, 3:
            let a = int(range), b = int(a...range.upperBound)
            if let names, chance(30) {
                let na = names.count == 7 ? names[a % 7] : names[a - 1]
                let nb = names.count == 7 ? (b == 7 ? "7" : names[b]) : names[b - 1]
                return "\(na)-\(nb)"
            }
            return "\(a)-\(b)"
        case 4, 5: return "*/\(pick([1, 2, 3, 4, 5, 6, 7, 10, 12, 13, 15, 20, 30, 45, 90]))"
        case 6: return "\(value(range, names: names))/\(int(1...20))"
        case 7:
            let a = int(range), b = int(a...range.upperBound)
            return "\(a)-\(b)/\(int(1...12))"
        default: return value(range, names: names)
        }
    }

    private mutating func list(_ range: ClosedRange<Int>, names: [String]?) -> String {
        (0..<int(2...3)).map { _ in term(range, names: names) }.joined(separator: ",")
    }

    private mutating func field(_ range: ClosedRange<Int>, names: [String]?) -> String {
        switch int(0...9) {
        case 0, 1, 2: return "*"
        case 3, 4, 5, 6: return term(range, names: names)
        default: return list(range, names: names)
        }
    }

    private mutating func dayOfMonth() -> String {
        switch int(0...19) {
        case 0: return "L"
        case 1: return "LW"
        case 2: return "\(term(1...31, names: nil)),\(pick(["L", "LW"]))"
        case 3: return pick(["L/2", "LW/3", "29", "30", "31", "29-31", "30,31"])
        case 4...9: return "*"
        default: return field(1...31, names: nil)
        }
    }

    private mutating func dayOfWeek() -> String {
        switch int(0...19) {
        case 0: return "\(int(0...7))L"
        case 1: return "\(value(0...7, names: CronField.dayNames))#\(int(1...5))"
        case 2: return "\(int(0...7))L,\(value(0...7, names: CronField.dayNames))#\(int(1...5))"
        case 3: return pick(["7", "SUN", "MON-FRI", "1-5", "SAT,SUN", "5L", "FRI#2", "MON#5"])
        case 4...11: return "*"
        default: return field(0...7, names: CronField.dayNames)
        }
    }

    /// A likely-invalid variant: out of range, reversed range, zero step, stray text, wrong field count.
    private mutating func corrupt(_ text: String, fields: [String]) -> String {
        var parts = fields
        let i = int(0...(parts.count - 1))
        switch int(0...7) {
        case 0: parts[i] = "61"
        case 1: parts[i] = "5-3"
        case 2: parts[i] = "*/0"
        case 3: parts[i] = pick(["L", "W", "5W", "MON#6", "#2", "L5", "1,", "-", "?", "FRIL", "JAN", "SUN", "8", "32", "24"])
        case 4: parts.removeLast()
        case 5: parts.append("*")
        case 6: parts[i] += pick(["/", "-", ",", "L", "#1"])
        default: parts[i] = pick(["0", "00", "007", "1-1/5", "L/1", "0L", "7#5"])
        }
        return parts.joined(separator: " ")
    }
}
