import Foundation
import Glibc

/// Wall-clock nanoseconds (what /bin/date +%s%N prints).
func wallNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

func milliseconds(_ nanoseconds: Int64) -> Double { Double(nanoseconds) / 1e6 }

/// Median, p99, min and max of samples.
struct Stats {
    var samples: [Double]
    var sorted: [Double] { samples.sorted() }
    func percentile(_ p: Double) -> Double {
        let s = sorted
        guard !s.isEmpty else { return .nan }
        return s[Swift.min(s.count - 1, Int((Double(s.count - 1) * p).rounded()))]
    }
    var median: Double { percentile(0.5) }
    var p99: Double { percentile(0.99) }
    var max: Double { sorted.last ?? .nan }
    var min: Double { sorted.first ?? .nan }
}

/// Waits until `condition` holds, checking every millisecond; false after `timeout` seconds.
func waitFor(_ timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
    while Date() < deadline {
        if condition() { return true }
        nanosleep(&pause, nil)
    }
    return condition()
}

func makeTemporaryDirectory(_ prefix: String) -> String {
    var template = Array("/var/tmp/\(prefix).XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}

func write(_ text: String, to path: String) {
    let directory = (path as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644])
}

func listing(_ path: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] }

func contents(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

func shell(_ command: String, in directory: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try? process.run()
    process.waitUntilExit()
}

/// A `jobdir run` under measurement.
final class Daemon {
    let process = Process()
    let logFile: String

    init(binary: String, jobs: String, state: String, arguments: [String] = []) {
        logFile = state + ".log"
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--jobs", jobs, "--state", state] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: logFile)
        try! process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var log: String { contents(logFile) ?? "" }

    func stop() {
        kill(pid, SIGTERM)
        process.waitUntilExit()
    }

    /// Resident memory in KiB.
    var residentKiB: Int {
        let status = contents("/proc/\(pid)/status") ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    /// CPU time (user + system) in clock ticks, all threads.
    var cpuTicks: Int {
        guard let stat = contents("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    /// Voluntary plus involuntary context switches (wakeups) over all threads.
    var contextSwitches: Int {
        var total = 0
        for task in listing("/proc/\(pid)/task") {
            for line in (contents("/proc/\(pid)/task/\(task)/status") ?? "").split(separator: "\n") where line.contains("ctxt_switches") {
                total += Int(line.split(separator: "\t").last?.trimmingCharacters(in: .whitespaces) ?? "0") ?? 0
            }
        }
        return total
    }
}

/// The time /bin/date printed into a log (nanoseconds), if it has run.
func stampedTime(_ path: String) -> Int64? {
    guard let text = contents(path) else { return nil }
    return Int64(text.trimmingCharacters(in: .whitespacesAndNewlines))
}
