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

// The worst case of the differential test's corpus (same seed, generator and zones):
// each case's 5 chained next-fire calls from its start, each call timed 3 times keeping
// the fastest (to drop preemptions), then the slowest call is re-measured.
let seed: UInt64 = 0x6A6F_6264_6972_0003
var corpusZones = [TimeZoneRules]()
for name in CronCorpusGenerator.zones {
    if let zone = try? TimeZoneRules(named: name) { corpusZones.append(zone) }
}
var generator = CronCorpusGenerator(seed: seed)
let points = corpusZones.map(CronCorpusGenerator.clusterPoints(of:))
var worst = (text: "", zone: 0, start: Int64(0), nanos: 0)
let corpusSize = 50_000
let clock = ContinuousClock()
for _ in 0..<corpusSize {
    let c = generator.nextCase(clusterPoints: points)
    guard let expression = try? CronExpression(c.expression) else { continue }
    var after = c.start
    for _ in 0..<5 {
        var nanos = Int.max
        var next: Int64?
        for _ in 0..<3 {
            let begin = clock.now
            next = expression.nextFire(afterUTC: after, in: corpusZones[c.zone])
            let elapsed = clock.now - begin
            nanos = min(nanos, Int(elapsed.components.attoseconds / 1_000_000_000) + Int(elapsed.components.seconds) * 1_000_000_000)
        }
        if nanos > worst.nanos { worst = (c.expression, c.zone, after, nanos) }
        guard let next else { break }
        after = next
    }
}
if let expression = try? CronExpression(worst.text) {
    print("slowest call of the \(corpusSize)-case differential corpus (seed 0x\(String(seed, radix: 16))), re-measured 2,000 times from the same start:")
    var samples = [Int]()
    for _ in 0..<2_000 {
        let begin = clock.now
        _ = expression.nextFire(afterUTC: worst.start, in: corpusZones[worst.zone])
        let elapsed = clock.now - begin
        samples.append(Int(elapsed.components.attoseconds / 1_000_000_000) + Int(elapsed.components.seconds) * 1_000_000_000)
    }
    samples.sort()
    row("\(worst.text) [\(corpusZones[worst.zone].identifier)] after \(worst.start)",
        Stats(median: samples[samples.count / 2], p99: samples[samples.count * 99 / 100]))
}
