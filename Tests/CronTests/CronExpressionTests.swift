import Cron
import Foundation
import Testing

/// Each syntax feature, with fire times checked by hand against a calendar (UTC).
@Suite struct CronExpressionTests {
    @Test func everyMinuteAndStrictlyAfter() throws {
        #expect(try fires("* * * * *", after: "2026-01-01T00:00:00Z")
            == ["2026-01-01T00:01:00+00:00", "2026-01-01T00:02:00+00:00", "2026-01-01T00:03:00+00:00"])
        #expect(try fires("* * * * *", after: "2026-01-01T00:00:59.999Z", count: 1) == ["2026-01-01T00:01:00+00:00"])
    }

    @Test func listsRangesAndSteps() throws {
        #expect(try fires("10-50/7 0 * * *", after: "2026-01-01T00:00:00Z", count: 7) == [
            "2026-01-01T00:10:00+00:00", "2026-01-01T00:17:00+00:00", "2026-01-01T00:24:00+00:00",
            "2026-01-01T00:31:00+00:00", "2026-01-01T00:38:00+00:00", "2026-01-01T00:45:00+00:00",
            "2026-01-02T00:10:00+00:00",
        ])
        #expect(try fires("0,30 8-9 * * *", after: "2026-01-01T00:00:00Z", count: 5) == [
            "2026-01-01T08:00:00+00:00", "2026-01-01T08:30:00+00:00", "2026-01-01T09:00:00+00:00",
            "2026-01-01T09:30:00+00:00", "2026-01-02T08:00:00+00:00",
        ])
        #expect(try fires("*/20 */12 * * *", after: "2026-01-01T00:00:00Z", count: 4) == [
            "2026-01-01T00:20:00+00:00", "2026-01-01T00:40:00+00:00", "2026-01-01T12:00:00+00:00",
            "2026-01-01T12:20:00+00:00",
        ])
        // A single start value with a step runs to the end of the range (cronsim: `5/20` = 5,25,45).
        #expect(try fires("5/20 0 * * *", after: "2026-01-01T00:00:00Z") ==
            ["2026-01-01T00:05:00+00:00", "2026-01-01T00:25:00+00:00", "2026-01-01T00:45:00+00:00"])
        // A step larger than the range keeps only the first value.
        #expect(try fires("*/90 0 * * *", after: "2026-01-01T00:00:00Z", count: 2) ==
            ["2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"])
    }

    @Test func monthAndDayNamesCaseInsensitive() throws {
        #expect(try fires("0 0 1 jan,JUL *", after: "2026-02-01T00:00:00Z", count: 2)
            == ["2026-07-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"])
        // 2026-01-01 is a Thursday.
        #expect(try fires("0 9 * * MON-fri", after: "2026-01-01T12:00:00Z", count: 3)
            == ["2026-01-02T09:00:00+00:00", "2026-01-05T09:00:00+00:00", "2026-01-06T09:00:00+00:00"])
        #expect(try fires("0 0 * FEB-MAR/1 *", after: "2026-03-31T12:00:00Z", count: 1) == ["2027-02-01T00:00:00+00:00"])
    }

    @Test func sevenAndZeroAreSunday() throws {
        let sundays = ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]
        #expect(try fires("0 0 * * 7", after: "2026-01-01T00:00:00Z", count: 2) == sundays)
        #expect(try fires("0 0 * * 0", after: "2026-01-01T00:00:00Z", count: 2) == sundays)
        #expect(try fires("0 0 * * SUN", after: "2026-01-01T00:00:00Z", count: 2) == sundays)
        #expect(try fires("0 0 * * 6-7", after: "2026-01-01T00:00:00Z", count: 3)
            == ["2026-01-03T00:00:00+00:00", "2026-01-04T00:00:00+00:00", "2026-01-10T00:00:00+00:00"])
    }

    @Test func lastDayAndLastWeekdayOfMonth() throws {
        #expect(try fires("0 0 L * *", after: "2024-02-10T00:00:00Z")
            == ["2024-02-29T00:00:00+00:00", "2024-03-31T00:00:00+00:00", "2024-04-30T00:00:00+00:00"])
        // 2026-02-28 is a Saturday, 2026-05-31 a Sunday: LW falls back to the Friday.
        #expect(try fires("0 0 LW * *", after: "2026-02-01T00:00:00Z", count: 4) == [
            "2026-02-27T00:00:00+00:00", "2026-03-31T00:00:00+00:00", "2026-04-30T00:00:00+00:00",
            "2026-05-29T00:00:00+00:00",
        ])
        #expect(try fires("0 0 1,L * *", after: "2026-04-15T00:00:00Z", count: 3)
            == ["2026-04-30T00:00:00+00:00", "2026-05-01T00:00:00+00:00", "2026-05-31T00:00:00+00:00"])
    }

    @Test func lastAndNthWeekdayOfMonth() throws {
        // Last Fridays of March and April 2026.
        #expect(try fires("0 12 * * 5L", after: "2026-03-01T00:00:00Z", count: 2)
            == ["2026-03-27T12:00:00+00:00", "2026-04-24T12:00:00+00:00"])
        // Second Mondays: 2026-04-01 is a Wednesday, 2026-05-01 a Friday.
        #expect(try fires("0 8 * * MON#2", after: "2026-04-01T00:00:00Z", count: 2)
            == ["2026-04-13T08:00:00+00:00", "2026-05-11T08:00:00+00:00"])
        #expect(try fires("0 8 * * FRI#2", after: "2026-04-01T00:00:00Z", count: 2)
            == ["2026-04-10T08:00:00+00:00", "2026-05-08T08:00:00+00:00"])
        // A fifth Monday in February needs a leap year starting on a Monday: 2044.
        #expect(try fires("0 0 * 2 MON#5", after: "2026-01-01T00:00:00Z", count: 1) == ["2044-02-29T00:00:00+00:00"])
    }

    @Test func dayOfMonthAndDayOfWeekAreOredUnlessOneStartsWithStar() throws {
        // OR: the 13th, and every Friday (2026-02-06 is a Friday).
        #expect(try fires("0 0 13 * FRI", after: "2026-02-01T00:00:00Z", count: 4) == [
            "2026-02-06T00:00:00+00:00", "2026-02-13T00:00:00+00:00", "2026-02-20T00:00:00+00:00",
            "2026-02-27T00:00:00+00:00",
        ])
        // AND: odd days (`*/2` starts with `*`) that are Fridays.
        #expect(try fires("0 0 */2 * FRI", after: "2026-02-01T00:00:00Z", count: 3)
            == ["2026-02-13T00:00:00+00:00", "2026-02-27T00:00:00+00:00", "2026-03-13T00:00:00+00:00"])
        // AND: the 13th when it is a Friday (`*/1` in day-of-week).
        #expect(try fires("0 0 13 * */1", after: "2026-02-01T00:00:00Z", count: 2)
            == ["2026-02-13T00:00:00+00:00", "2026-03-13T00:00:00+00:00"])
    }

    @Test func sixFieldsStartWithSeconds() throws {
        #expect(try fires("*/20 * * * * *", after: "2026-01-01T00:00:00Z", count: 4) == [
            "2026-01-01T00:00:20+00:00", "2026-01-01T00:00:40+00:00", "2026-01-01T00:01:00+00:00",
            "2026-01-01T00:01:20+00:00",
        ])
        #expect(try fires("30 0 12 * * *", after: "2026-01-01T00:00:00Z", count: 2)
            == ["2026-01-01T12:00:30+00:00", "2026-01-02T12:00:30+00:00"])
    }

    @Test func macros() throws {
        let after = "2026-05-15T10:20:00Z"
        #expect(try fires("@yearly", after: after, count: 1) == ["2027-01-01T00:00:00+00:00"])
        #expect(try fires("@annually", after: after, count: 1) == ["2027-01-01T00:00:00+00:00"])
        #expect(try fires("@monthly", after: after, count: 1) == ["2026-06-01T00:00:00+00:00"])
        #expect(try fires("@weekly", after: after, count: 1) == ["2026-05-17T00:00:00+00:00"])
        #expect(try fires("@daily", after: after, count: 1) == ["2026-05-16T00:00:00+00:00"])
        #expect(try fires("@midnight", after: after, count: 1) == ["2026-05-16T00:00:00+00:00"])
        #expect(try fires("  @HOURLY ", after: after, count: 1) == ["2026-05-15T11:00:00+00:00"])
    }

    @Test func keepsTextAndComparesByIt() throws {
        let a = try CronExpression("0 0 * * *")
        #expect(a.text == "0 0 * * *")
        #expect(a == (try CronExpression("0 0 * * *")))
        #expect(a != (try CronExpression("@daily")))
    }

    @Test func farFutureUsesTheZoneRule() throws {
        // 2400-03-26 is the last Sunday of March 2400: Berlin springs forward then.
        #expect(try fires("30 2 * * *", zone: "Europe/Berlin", after: "2400-03-25T12:00:00Z", count: 2)
            == ["2400-03-26T03:00:00+02:00", "2400-03-27T02:30:00+02:00"])
    }
}
