import Cron
import Foundation
import Testing

/// SPEC section 3's DST rules, checked by hand. 2026 transitions: Berlin springs forward
/// on 29 March (02:00 CET -> 03:00 CEST) and falls back on 25 October (03:00 CEST ->
/// 02:00 CET); New York on 8 March (02:00 EST -> 03:00 EDT) and 1 November (02:00 EDT ->
/// 01:00 EST).
@Suite struct CronDaylightSavingTests {
    @Test func berlinGapFiresOnceAtTheFirstInstantAfterIt() throws {
        #expect(try fires("30 2 * * *", zone: "Europe/Berlin", after: "2026-03-28T12:00:00Z")
            == ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"])
        // Two skipped wall times fold into one fire.
        #expect(try fires("0,30 2 * * *", zone: "Europe/Berlin", after: "2026-03-28T12:00:00Z")
            == ["2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00", "2026-03-30T02:30:00+02:00"])
    }

    @Test func berlinOverlapFiresOnceAtTheFirstOccurrence() throws {
        #expect(try fires("30 2 * * *", zone: "Europe/Berlin", after: "2026-10-24T12:00:00Z")
            == ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00", "2026-10-27T02:30:00+01:00"])
    }

    @Test func berlinStarExpressionsFireOnEveryMatchingInstant() throws {
        #expect(try fires("*/30 * * * *", zone: "Europe/Berlin", after: "2026-10-25T00:00:00Z", count: 4) == [
            "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T02:30:00+01:00",
            "2026-10-25T03:00:00+01:00",
        ])
        #expect(try fires("0 * * * *", zone: "Europe/Berlin", after: "2026-03-29T00:30:00Z", count: 2)
            == ["2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"])
    }

    @Test func newYorkGapAndOverlap() throws {
        #expect(try fires("30 2 * * *", zone: "America/New_York", after: "2026-03-07T12:00:00Z", count: 2)
            == ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"])
        #expect(try fires("30 1 * * *", zone: "America/New_York", after: "2026-10-31T12:00:00Z", count: 2)
            == ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"])
        #expect(try fires("15 * * * *", zone: "America/New_York", after: "2026-11-01T04:30:00Z", count: 3)
            == ["2026-11-01T01:15:00-04:00", "2026-11-01T01:15:00-05:00", "2026-11-01T02:15:00-05:00"])
    }

    @Test func startInTheRepeatedHourDoesNotFireTheFirstOccurrenceAgain() throws {
        // 06:10Z is 01:10 EST, the second pass; 01:30 EDT (05:30Z) is already past.
        #expect(try fires("30 1 * * *", zone: "America/New_York", after: "2026-11-01T06:10:00Z", count: 1)
            == ["2026-11-02T01:30:00-05:00"])
    }

    /// St. John's fell back at 00:01 (2001-2011), so the repeated hour spans midnight and
    /// cronsim loops forever (or repeats one instant); the search resumes after it instead.
    @Test func repeatedHourSpanningMidnightDoesNotHang() throws {
        #expect(try fires("46-51/3 */4 30 OCT,*/30,*/1 0-5", zone: "America/St_Johns", after: "2001-10-28T00:42:08Z", count: 2)
            == ["2001-10-28T00:46:00-03:30", "2001-10-28T00:49:00-03:30"])
        #expect(try fires("* */45 LW 2-10 0", zone: "America/St_Johns", after: "1993-10-31T00:45:00Z", count: 2)
            == ["1993-10-31T00:00:00-02:30", "1993-10-31T00:01:00-03:30"])
    }

    @Test func offsetsOfHalfHourAndQuarterHourZones() throws {
        let lordHowe = try TimeZoneRules(named: "Australia/Lord_Howe")
        #expect(lordHowe.offset(atUTC: 1_767_225_600) == 39_600)  // 2026-01-01: +11:00
        #expect(lordHowe.offset(atUTC: 1_782_864_000) == 37_800)  // 2026-07-01: +10:30
        let kathmandu = try TimeZoneRules(named: "Asia/Kathmandu")
        #expect(kathmandu.offset(atUTC: 1_767_225_600) == 20_700)  // +05:45
        #expect(kathmandu.offset(atUTC: 0) == 19_800)  // 1970: +05:30
    }
}
