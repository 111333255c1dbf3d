import Cron

/// A TZif file through `TimeZoneRules(identifier:tzif:)`; a zone it accepts is then
/// used as the daemon uses zones: offsets, transitions, and cron's next fire times.
enum TZifTarget {
    static let expressions = ["30 2 * * *", "*/7 * * * *", "0 0 29 2 *", "15 1-3 * * 0"].map { try! CronExpression($0) }
    static let starts: [Int64] = [-2_208_988_800, 0, 1_774_746_000, 1_793_404_800, 4_102_444_800, 32_503_680_000]

    static func run(_ bytes: [UInt8]) {
        guard let zone = try? TimeZoneRules(identifier: "Fuzz/Zone", tzif: bytes) else { return }
        for start in starts {
            _ = zone.offset(atUTC: start)
            _ = zone.transitions(in: start..<(start + 400 * 86_400))
        }
        for expression in expressions {
            for start in starts.prefix(4) {
                guard let next = expression.nextFire(afterUTC: start, in: zone) else { continue }
                FuzzCheck.expect(next > start, "\(expression) fired at \(next), not after \(start)")
            }
        }
    }
}
