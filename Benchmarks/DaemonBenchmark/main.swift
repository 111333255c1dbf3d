// End-to-end figures of the real `jobdir` daemon against the machine's floor.
//   swift build -c release && .build/release/daemon-benchmark [--repeat N] [--idle-seconds N] [--quick] [--results FILE]
// (Benchmarks/run.sh does both.) Each figure is the median over the repeats, with the
// spread (min–max of the repeats' medians); floors are measured in the same run.
import Foundation
import Glibc

var repeats = 3
var idleSeconds = 60
var quick = false
var resultsFile: String? = "Benchmarks/RESULTS.md"
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--repeat": repeats = Int(arguments.next() ?? "") ?? repeats
    case "--idle-seconds": idleSeconds = Int(arguments.next() ?? "") ?? idleSeconds
    case "--quick": quick = true
    case "--results": resultsFile = arguments.next()
    case "--no-results": resultsFile = nil
    default: fatalError("unknown argument \(argument)")
    }
}

let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("jobdir").path
guard FileManager.default.isExecutableFile(atPath: binary) else { fatalError("no jobdir binary beside the benchmark: run `swift build -c release` first") }
let scenarios = Scenarios(binary: binary)
let triggers = quick ? 100 : 1000, scheduled = quick ? 50 : 200, runs = quick ? 500 : 5000
let scaleJobs = quick ? 1000 : 10_000, stormFiles = quick ? 200 : 1000
let isolatedDrops = quick ? 100 : 200, chainRuns = quick ? 50 : 100

struct Row {
    var name: String
    var value: String
    var spread: String
    var floor: String
    var target: String
    var met: Bool?
}
var rows: [Row] = []

func summarize(_ medians: [Double]) -> (Double, String) {
    let stats = Stats(samples: medians)
    return (stats.median, String(format: "%.2f–%.2f", stats.min, stats.max))
}

func progress(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

// Trigger latency.
var p50s: [Double] = [], p99s: [Double] = [], floorP50s: [Double] = [], floorP99s: [Double] = []
for round in 1...repeats {
    progress("trigger latency, round \(round)")
    let samples = Stats(samples: scenarios.triggerLatency(count: triggers))
    let floor = Stats(samples: scenarios.triggerFloor(count: triggers))
    p50s.append(samples.median); p99s.append(samples.p99); floorP50s.append(floor.median); floorP99s.append(floor.p99)
}
let (latency50, latency50Spread) = summarize(p50s), (latency99, latency99Spread) = summarize(p99s)
rows.append(Row(name: "trigger → process start p50 (ms, \(triggers) triggers)", value: String(format: "%.2f", latency50), spread: latency50Spread,
                floor: String(format: "%.2f", Stats(samples: floorP50s).median), target: "≤ 3", met: latency50 <= 3))
rows.append(Row(name: "trigger → process start p99 (ms)", value: String(format: "%.2f", latency99), spread: latency99Spread,
                floor: String(format: "%.2f", Stats(samples: floorP99s).median), target: "≤ 6", met: latency99 <= 6))

// Isolated drops (50 ms apart, the way users trigger), quiet and with a noisy neighbour,
// beside the minimal C runner's floors.
var isolated50: [Double] = [], isolated99: [Double] = [], noisy99: [Double] = [], cpuPerRun: [Double] = []
var floor50: [Double] = [], floor99: [Double] = [], durable50: [Double] = [], durable99: [Double] = []
for round in 1...repeats {
    progress("isolated drops, round \(round)")
    let quiet = scenarios.isolatedDrops(count: isolatedDrops)
    let quietStats = Stats(samples: quiet.latencies)
    isolated50.append(quietStats.median); isolated99.append(quietStats.p99); cpuPerRun.append(quiet.cpuPerRun)
    noisy99.append(Stats(samples: scenarios.isolatedDrops(count: max(20, isolatedDrops / 4), noisy: true).latencies).p99)
    if let bare = scenarios.floorRunnerDrops(count: isolatedDrops, durable: false), let durable = scenarios.floorRunnerDrops(count: isolatedDrops, durable: true) {
        floor50.append(Stats(samples: bare).median); floor99.append(Stats(samples: bare).p99)
        durable50.append(Stats(samples: durable).median); durable99.append(Stats(samples: durable).p99)
    }
}
let (i50, i50Spread) = summarize(isolated50), (i99, i99Spread) = summarize(isolated99), (n99, n99Spread) = summarize(noisy99)
let durableFloor50 = durable50.isEmpty ? Double.nan : Stats(samples: durable50).median
let durableFloor99 = durable99.isEmpty ? Double.nan : Stats(samples: durable99).median
let floorText = { (bare: [Double], durable: Double) in
    bare.isEmpty ? "-" : String(format: "C runner %.2f, + fsync'd record %.2f", Stats(samples: bare).median, durable)
}
rows.append(Row(name: "isolated drop → start p50 (ms, \(isolatedDrops) drops 50 ms apart)", value: String(format: "%.2f", i50), spread: i50Spread,
                floor: floorText(floor50, durableFloor50), target: String(format: "≤ %.2f (1.3× durable floor)", 1.3 * durableFloor50), met: i50 <= 1.3 * durableFloor50))
rows.append(Row(name: "isolated drop → start p99 (ms)", value: String(format: "%.2f", i99), spread: i99Spread,
                floor: floorText(floor99, durableFloor99), target: String(format: "≤ %.2f (2× durable floor)", 2 * durableFloor99), met: i99 <= 2 * durableFloor99))
rows.append(Row(name: "noisy neighbour: drop → start p99 (ms, unsynced writes streaming to the state disk)", value: String(format: "%.2f", n99), spread: n99Spread,
                floor: "-", target: String(format: "≤ %.2f (3× quiet p99)", 3 * i99), met: n99 <= 3 * i99))
let (cpu, cpuSpread) = summarize(cpuPerRun)
rows.append(Row(name: "daemon CPU per run (ms)", value: String(format: "%.2f", cpu), spread: cpuSpread, floor: "-", target: "≤ 1", met: cpu <= 1))

// Chains: upstream command's end → downstream command's start.
var chain50: [Double] = [], chainMax: [Double] = []
for round in 1...repeats {
    progress("chain latency, round \(round)")
    let samples = Stats(samples: scenarios.chainLatency(count: chainRuns))
    chain50.append(samples.median); chainMax.append(samples.max)
}
let (c50, c50Spread) = summarize(chain50), (cMax, cMaxSpread) = summarize(chainMax)
rows.append(Row(name: "chain: upstream end → downstream start p50 (ms)", value: String(format: "%.2f", c50), spread: c50Spread, floor: "-",
                target: String(format: "≤ %.2f (isolated p50 + 1)", i50 + 1), met: c50 <= i50 + 1))
rows.append(Row(name: "chain: upstream end → downstream start max (ms)", value: String(format: "%.2f", cMax), spread: cMaxSpread, floor: "-", target: "", met: nil))

// Idle memory with a few jobs.
let rss = Stats(samples: (1...repeats).map { _ in Double(scenarios.idleResident()) / 1024 })
rows.append(Row(name: "idle resident memory, 5 jobs (MiB)", value: String(format: "%.1f", rss.median), spread: String(format: "%.1f–%.1f", rss.min, rss.max),
                floor: "-", target: "≤ 8", met: rss.median <= 8))

// Schedule accuracy.
var delay50: [Double] = [], delay99: [Double] = [], delayMax: [Double] = [], burst99: [Double] = []
for round in 1...repeats {
    progress("schedule accuracy, round \(round)")
    let samples = Stats(samples: scenarios.scheduleAccuracy(jobs: scheduled))
    delay50.append(samples.median); delay99.append(samples.p99); delayMax.append(samples.max)
    burst99.append(Stats(samples: scenarios.spawnBurstFloor(count: scheduled)).p99)
}
let (d50, d50Spread) = summarize(delay50), (d99, d99Spread) = summarize(delay99), (dMax, dMaxSpread) = summarize(delayMax)
rows.append(Row(name: "schedule delay p50 (ms, \(scheduled) jobs due at one second)", value: String(format: "%.2f", d50), spread: d50Spread, floor: "-", target: "", met: nil))
rows.append(Row(name: "schedule delay p99 (ms)", value: String(format: "%.2f", d99), spread: d99Spread,
                floor: String(format: "%.2f (\(scheduled) bare spawns back to back)", Stats(samples: burst99).median), target: "< 20", met: d99 < 20))
rows.append(Row(name: "schedule delay max (ms)", value: String(format: "%.2f", dMax), spread: dMaxSpread, floor: "-", target: "", met: nil))

// Throughput.
var rates: [Double] = [], spawnRates: [Double] = [], fsyncRates: [Double] = []
for round in 1...repeats {
    progress("throughput, round \(round)")
    rates.append(scenarios.throughput(runs: runs))
    spawnRates.append(scenarios.spawnRate(runs: 1000))
    fsyncRates.append(scenarios.fsyncRenameRate(writes: 1000))
}
let (rate, rateSpread) = summarize(rates)
rows.append(Row(name: "throughput (runs/s, \(runs) runs of true, records durable)", value: String(format: "%.0f", rate), spread: rateSpread,
                floor: String(format: "spawn %.0f/s, fsync'd rename %.0f/s", Stats(samples: spawnRates).median, Stats(samples: fsyncRates).median), target: "≥ 500", met: rate >= 500))

// Scale, with one idle measurement.
var loads: [Double] = [], memories: [Double] = [], edits: [Double] = []
var idle: Scenarios.ScaleFigures?
for round in 1...repeats {
    progress("scale (\(scaleJobs) jobs), round \(round)")
    let figures = scenarios.scale(jobs: scaleJobs, idleSeconds: round == repeats ? idleSeconds : 0)
    loads.append(figures.loadSeconds); memories.append(figures.residentMiB); edits.append(figures.editMilliseconds)
    if round == repeats { idle = figures }
}
let (load, loadSpread) = summarize(loads), (memory, memorySpread) = summarize(memories), (edit, editSpread) = summarize(edits)
rows.append(Row(name: "start → \(scaleJobs) jobs loaded (s)", value: String(format: "%.2f", load), spread: loadSpread, floor: "-", target: "< 1", met: load < 1))
rows.append(Row(name: "resident memory after load (MiB)", value: String(format: "%.1f", memory), spread: memorySpread, floor: "-", target: "< 64", met: memory < 64))
rows.append(Row(name: "one edited file in effect (ms)", value: String(format: "%.1f", edit), spread: editSpread, floor: "-", target: "", met: nil))
if let idle {
    rows.append(Row(name: "idle \(idleSeconds) s: wakeups of the daemon's event loop thread", value: "\(idle.idleLoopWakeups)", spread: "1 run", floor: "-", target: "0", met: idle.idleLoopWakeups == 0))
    rows.append(Row(name: "idle \(idleSeconds) s: wakeups of all threads (Swift runtime included)", value: "\(idle.idleWakeups)", spread: "1 run", floor: "-", target: "0", met: idle.idleWakeups == 0))
    rows.append(Row(name: "idle \(idleSeconds) s: daemon CPU time (s)", value: String(format: "%.2f", idle.idleCPUSeconds), spread: "1 run", floor: "-", target: "", met: nil))
    rows.append(Row(name: "resident memory once every result is written and idle (MiB)", value: String(format: "%.1f", idle.settledMiB), spread: "1 run", floor: "-", target: "", met: nil))
}

// Reload storm.
var storms: [Double] = []
for round in 1...repeats {
    progress("reload storm, round \(round)")
    storms.append(scenarios.reloadStorm(files: stormFiles))
}
let (storm, stormSpread) = summarize(storms)
rows.append(Row(name: "git checkout of \(stormFiles) files → all in effect (ms)", value: String(format: "%.0f", storm), spread: stormSpread, floor: "-", target: "< 2000", met: storm < 2000))

// Report.
func machine() -> String {
    let cpu = (contents("/proc/cpuinfo") ?? "").split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    var system = utsname()
    uname(&system)
    let kernel = withUnsafeBytes(of: system.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    return "\(ProcessInfo.processInfo.activeProcessorCount) cores (\(cpu)), \(ProcessInfo.processInfo.physicalMemory >> 30) GiB, Linux \(kernel), state on /var/tmp"
}
var table = "| figure | median | spread (min–max of \(repeats) runs) | floor, same run | target | met |\n|---|---|---|---|---|---|\n"
for row in rows {
    let met = row.met.map { $0 ? "yes" : "no" } ?? ""
    table += "| \(row.name) | \(row.value) | \(row.spread) | \(row.floor) | \(row.target) | \(met) |\n"
}
let command = "Benchmarks/run.sh" + CommandLine.arguments.dropFirst().map { " " + $0 }.joined()
let report = """
# jobdir benchmark results

Measured \(ISO8601DateFormatter().string(from: Date())) on \(machine()), release build.
Command: `\(command)`

\(table)
"""
print(report)
for directory in scratch { shell("rm -rf '\(directory)'", in: "/") }
if let resultsFile { try? report.write(toFile: resultsFile, atomically: true, encoding: .utf8) }
