import Cron
import Foundation
import Testing
@testable import Scheduling

@Suite struct TimestampTests {
    @Test func formatsUTCWithMilliseconds() {
        let date = Date(timeIntervalSince1970: 1_795_397_400.25)
        #expect(Timestamp.format(date) == "2026-11-23T01:30:00.250Z")
        #expect(Timestamp.compact(date) == "20261123T013000.250Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000Z")
    }

    @Test func parsesWhatItFormatsAndOffsets() throws {
        for ms: Int64 in [0, 1, 999, 1_795_397_400_250, 4_102_444_799_999, -86_400_001] {
            let date = Timestamp.date(milliseconds: ms)
            #expect(Timestamp.parse(Timestamp.format(date)).map(Timestamp.milliseconds) == ms)
        }
        let withOffset = try #require(Timestamp.parse("2026-12-01T09:00:00+01:00"))
        #expect(Timestamp.format(withOffset) == "2026-12-01T08:00:00.000Z")
        #expect(Timestamp.parse("2026-11-23T01:30:00.123456Z").map(Timestamp.format) == "2026-11-23T01:30:00.123Z")
        #expect(Timestamp.parse("2026-11-23T01:30:00.5Z").map(Timestamp.format) == "2026-11-23T01:30:00.500Z")
    }

    @Test(arguments: ["", "2026-11-23", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-23T24:00:00Z",
                      "2026-11-23T01:30:00", "2026-11-23T01:30:00.Z", "2026-11-23T01:30:00Zjunk"])
    func rejectsMalformed(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }
}
