import Cron
import Foundation
import Testing

/// What is refused, and that the message names the problem and the field.
@Suite struct CronRejectionTests {
    @Test(arguments: [
        ("61 * * * *", "minute field: 61 is out of range 0-59"),
        ("* 24 * * *", "hour field: 24 is out of range 0-23"),
        ("* * 0 * *", "day-of-month field: 0 is out of range 1-31"),
        ("* * * 13 *", "month field: 13 is out of range 1-12"),
        ("* * * * 8", "day-of-week field: 8 is out of range 0-7"),
        ("60 * * * * *", "second field: 60 is out of range 0-59"),
        ("*/0 * * * *", "minute field: `*/0`: step must be at least 1"),
        ("30-10 * * * *", "minute field: range `30-10` ends before it starts"),
        ("0 0 * * SAT-SUN", "day-of-week field: range `SAT-SUN` ends before it starts"),
        ("0 0 * FOO *", "month field: `FOO` is not a number or month name (JAN-DEC)"),
        ("0 0 * * MONDAY", "day-of-week field: `MONDAY` is not a number or day name (SUN-SAT)"),
        ("0 0 * * MON#6", "day-of-week field: `MON#6`: the week number after # must be 1-5"),
        ("0 0 * * L", "day-of-week field: `L`: L needs a day number before it, e.g. 5L for the last Friday"),
        ("0 0 * * FRIL", "day-of-week field: `FRIL`: L needs a day number before it, e.g. 5L for the last Friday"),
        ("0 0 5W * *", "day-of-month field: `5W` is not a number"),
        ("0 0 L * L", "day-of-week field: `L`: L needs a day number before it, e.g. 5L for the last Friday"),
        ("1,,2 * * * *", "minute field: empty item in list `1,,2`"),
        ("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with leading seconds), found 4"),
        ("* * * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with leading seconds), found 7"),
        ("", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with leading seconds), found 0"),
        ("0 0 30 2 *", "day-of-month field: day 30 never occurs in February, so the expression never fires"),
        ("0 0 31 4,6 *", "day-of-month field: day 31 never occurs in any month of the month field, so the expression never fires"),
        ("0 0 LW * */7", "the expression never fires: no day in the chosen months matches both day-of-month `LW` and day-of-week `*/7`"),
        ("0 0 */31 * MON#2", "the expression never fires: no day in the chosen months matches both day-of-month `*/31` and day-of-week `MON#2`"),
        ("@fortnightly", "unknown macro `@fortnightly`; expected one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly"),
        ("@reboot", "`@reboot` is not a cron expression (job files handle @reboot and @every themselves); cron macros are @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly"),
        ("@every 5m", "`@every` is not a cron expression (job files handle @reboot and @every themselves); cron macros are @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly"),
    ])
    func refusedWithMessage(text: String, message: String) {
        #expect(rejection(text) == message)
    }

    @Test(arguments: ["0 0 29 2 *", "0 0 30 2 MON", "0 0 L/3 * *", "0 0 LW/2 * *", "0 0 * * 7L", "0 0 * * 0#5",
                      "5-5/20 * * * *", "0000005 * * * *", "0 0 * * */99999999999999999999999"])
    func acceptedLikeCronsim(text: String) {
        #expect(rejection(text) == nil)
    }

    /// Arbitrary text never crashes or hangs the parser, and what parses can be evaluated.
    @Test func garbageNeverCrashes() throws {
        var generator = CronCorpusGenerator(seed: 0xBAD_C0DE)
        let alphabet = Array("0123456789*/-,#LW@ \t\nJANFEBMONSUNlw?!%\u{00A0}\u{0301}ſé漢\r\n".unicodeScalars)
        let zone = try TimeZoneRules(named: "Europe/Berlin")
        var parsed = 0
        let clock = ContinuousClock()
        let began = clock.now
        for i in 0..<20_000 {
            var text = ""
            if i % 2 == 0 {
                for _ in 0..<generator.int(0...40) {
                    text.unicodeScalars.append(alphabet[generator.int(0...(alphabet.count - 1))])
                }
            } else {
                let tokens = ["*", "*/7", "1-5", "L", "LW", "5L", "MON#2", "60", "-1", "99999999999999999999", "/", "#",
                              "JAN-DEC", "SUN-7", "0/0", ",", "W", "@daily", "@every", "1,2,3", "L/5", ""]
                text = (0..<generator.int(1...7)).map { _ in tokens[generator.int(0...(tokens.count - 1))] }
                    .joined(separator: " ")
            }
            if let expression = try? CronExpression(text) {
                parsed += 1
                #expect(expression.nextFire(afterUTC: 1_774_000_000, in: zone) != nil, "\(text) parsed but never fires")
            }
        }
        #expect(parsed > 0)
        #expect(clock.now - began < .seconds(60))
    }
}
