import Cron
import Foundation
import Testing

/// TZif files with transition times at the ends of the 64-bit range: refused, instead of
/// overflowing (and stopping the process) when the zone's table is built.
@Suite struct TZifBoundsTests {
    /// A version 2 file with one transition at `time` to a type of `offset` seconds, and
    /// an optional POSIX TZ footer.
    static func tzif(transition time: Int64, offset: Int32, footer: String = "") -> [UInt8] {
        func header(timecnt: Int32, typecnt: Int32) -> [UInt8] {
            Array("TZif2".utf8) + [UInt8](repeating: 0, count: 15) + [0, 0, 0, timecnt, typecnt, 4].flatMap(bigEndian)
        }
        func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
        let utc = Array("UTC".utf8) + [0]
        let v1 = header(timecnt: 0, typecnt: 1) + bigEndian(Int32(0)) + [0, 0] + utc
        let v2 = header(timecnt: 1, typecnt: 2) + bigEndian(time) + [1] + bigEndian(Int32(0)) + [0, 0] + bigEndian(offset) + [0, 0] + utc
        return v1 + v2 + Array("\n\(footer)\n".utf8)
    }

    @Test(arguments: [(Int64.max, Int32(3600)), (Int64.min, Int32(-3600)), (Int64.max - 3_155_760_000, Int32(3600))])
    func transitionsBeyondTheLimitAreRefused(time: Int64, offset: Int32) {
        #expect(throws: TimeZoneError.self) {
            try TimeZoneRules(identifier: "Test/Far", tzif: Self.tzif(transition: time, offset: offset, footer: "CET-1CEST,M3.5.0,M10.5.0/3"))
        }
    }

    @Test func transitionsAtTheLimitLoadAndCronStillFires() throws {
        for time in [Int64(1) << 59, -(Int64(1) << 59)] {
            let zone = try TimeZoneRules(identifier: "Test/Edge", tzif: Self.tzif(transition: time, offset: Int32.max, footer: "CET-1CEST,M3.5.0,M10.5.0/3"))
            let start: Int64 = 1_774_742_400
            let next = try #require(try CronExpression("30 2 * * *").nextFire(afterUTC: start, in: zone))
            #expect(next > start && next < start + 2 * 86_400)
        }
    }

    @Test func everyZoneOfTheSystemStillLoads() throws {
        let root = "/usr/share/zoneinfo"
        guard let names = FileManager.default.subpaths(atPath: root) else {
            Issue.record("no \(root) on this machine (Debian: apt-get install tzdata)")
            return
        }
        var loaded = 0
        for name in names {
            guard let data = FileManager.default.contents(atPath: root + "/" + name), data.starts(with: Array("TZif".utf8)) else { continue }
            #expect(throws: Never.self, "\(name)") { try TimeZoneRules(identifier: name, tzif: [UInt8](data)) }
            loaded += 1
        }
        #expect(loaded > 300)
    }
}
