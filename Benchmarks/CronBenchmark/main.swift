// Next-fire latency of the cron engine: `swift run -c release cron-benchmark`.
//
// Each figure is the time of one `nextFire(afterUTC:in:)` call, chained from the
// previous fire time, measured call by call (so it includes ~20-30 ns of clock reads).
import Cron
import Foundation

struct Stats {
    var median: Int
    var p99: Int
}

func measure(_ expression: CronExpression, in zone: TimeZoneRules, calls: Int, start: Int64) -> Stats {
    var samples = [Int]()
    samples.reserveCapacity(calls)
    let clock = ContinuousClock()
    var after = start
    var sink: Int64 = 0
    for _ in 0..<calls {
        let begin = clock.now
        let next = expression.nextFire(afterUTC: after, in: zone)
        let elapsed = clock.now - begin
        samples.append(Int(elapsed.components.attoseconds / 1_000_000_000) + Int(elapsed.components.seconds) * 1_000_000_000)
        // Restart from the beginning when a rare expression runs out of years.
        after = next ?? start
        sink &+= next ?? 0
    }
    if sink == 42 { print("") }
    samples.sort()
    return Stats(median: samples[samples.count / 2], p99: samples[min(samples.count - 1, samples.count * 99 / 100)])
}

func row(_ label: String, _ stats: Stats) {
    let padded = label.count < 44 ? label + String(repeating: " ", count: 44 - label.count) : label
    print("\(padded)  median \(String(format: "%7d", stats.median)) ns   p99 \(String(format: "%7d", stats.p99)) ns")
}

let start: Int64 = 1_774_000_000  // 2026-03-20, a week before the EU spring-forward
let typical = [
    "* * * * *", "*/5 * * * *", "0 * * * *", "30 2 * * *", "0 0 * * *", "0 9 * * 1-5",
    "15 10 * * MON-FRI", "0 0 1 * *", "@daily", "@weekly", "0 0 L * *", "0 12 * * 5L", "0 8 * * MON#2",
    "*/15 9-17 * * 1-5", "0 0,12 1,15 * *", "30 */6 * * *",
]
let zoneNames = ["UTC", "Europe/Berlin", "America/New_York"]
var zones = [TimeZoneRules]()
do {
    for name in zoneNames { zones.append(try TimeZoneRules(named: name)) }
} catch {
    print("cron-benchmark: \(error)")
    exit(1)
}

print("typical expressions (10,000 chained calls each):")
var medians = [Int]()
for zone in zones {
    for text in typical {
        guard let expression = try? CronExpression(text) else { continue }
        let stats = measure(expression, in: zone, calls: 10_000, start: start)
        medians.append(stats.median)
        row("\(text) [\(zone.identifier)]", stats)
    }
}
medians.sort()
print("median of the typical medians: \(medians[medians.count / 2]) ns, worst typical median: \(medians.last ?? 0) ns")

// The worst expression of a generated corpus (the differential test's generator and zones).
let corpusZones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "America/Santiago"]
var zonesByName = [String: TimeZoneRules]()
for name in corpusZones { zonesByName[name] = try? TimeZoneRules(named: name) }
var generator = CronCorpusGenerator(seed: 0x6A6F_6264_6972_0003)
var worst = (text: "", zone: "", nanos: 0)
let corpusSize = 20_000
for _ in 0..<corpusSize {
    let text = generator.expression()
    let zoneName = corpusZones[generator.int(0...(corpusZones.count - 1))]
    guard let expression = try? CronExpression(text), let zone = zonesByName[zoneName] else { continue }
    let stats = measure(expression, in: zone, calls: 8, start: start)
    if stats.median > worst.nanos { worst = (text, zoneName, stats.median) }
}
if let expression = try? CronExpression(worst.text), let zone = zonesByName[worst.zone] {
    print("worst of \(corpusSize) generated expressions (seed 0x6a6f626469720003), 2,000 chained calls:")
    row("\(worst.text) [\(worst.zone)]", measure(expression, in: zone, calls: 2_000, start: start))
}
