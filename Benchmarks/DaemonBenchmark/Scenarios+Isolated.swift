import Foundation
import Glibc

/// Triggers the way users drop them (one at a time, 50 ms apart), beside the floors: a
/// minimal C runner (inotify, libyaml, posix_spawn) with and without one fsync'd record,
/// and the same drops while another process streams unsynced writes to the state disk.
extension Scenarios {
    struct Isolated {
        var latencies: [Double]
        /// Daemon CPU time per run (ms, all threads).
        var cpuPerRun: Double
    }

    /// `count` trigger drops `gap` ms apart: drop → the job's `/bin/date` time.
    func isolatedDrops(count: Int, gap: Int = 50, noisy: Bool = false) -> Isolated {
        let (root, jobs, state) = fresh(noisy ? "noisy" : "isolated")
        write("command: [/bin/date, '+%s%N']\noverlap: allow\nhistory: {keep: 100000}\n", to: jobs + "/lat.yaml")
        let daemon = Daemon(binary: binary, jobs: jobs, state: state)
        defer { daemon.stop() }
        _ = waitFor(10) { contents(state + "/results/lat.json") != nil }
        let neighbour = noisy ? NoisyNeighbour(file: root + "/stream.bin") : nil
        defer { neighbour?.stop() }
        let cpuBefore = daemon.cpuTicks
        var samples: [Double] = []
        for index in 0..<count {
            if let sample = dropTrigger(index, state: state) { samples.append(sample) }
            usleep(UInt32(gap * 1000))
        }
        _ = waitFor(10) { (contents(state + "/results/lat.json") ?? "").contains("\"succeeded\" : \(count)") }
        let cpu = Double(daemon.cpuTicks - cpuBefore) / Double(sysconf(Int32(_SC_CLK_TCK))) * 1000 / Double(count)
        return Isolated(latencies: samples, cpuPerRun: cpu)
    }

    /// The same drops handled by the minimal C runner (`durable`: with one fsync'd record first).
    func floorRunnerDrops(count: Int, gap: Int = 50, durable: Bool) -> [Double]? {
        guard let runner = floorRunner else { return nil }
        let root = makeTemporaryDirectory("jobdir-bench-floor-runner")
        scratch.append(root)
        for directory in ["drops", "out", "records"] { mkdir(root + "/" + directory, 0o755) }
        write("command: [/bin/date, '+%s%N']\noverlap: allow\n", to: root + "/job.yaml")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: runner)
        process.arguments = [root + "/drops", root + "/job.yaml", root + "/out"] + (durable ? [root + "/records"] : [])
        try? process.run()
        usleep(100_000)
        var samples: [Double] = []
        for index in 0..<count {
            write("", to: root + "/.d\(index)")
            let start = wallNanoseconds()
            rename(root + "/.d\(index)", root + "/drops/d\(index)")
            var stamp: Int64?
            _ = waitFor(10) { stamp = stampedTime(root + "/out/d\(index)"); return stamp != nil }
            if let stamp { samples.append(milliseconds(stamp - start)) }
            usleep(UInt32(gap * 1000))
        }
        write("", to: root + "/.stop")
        rename(root + "/.stop", root + "/drops/stop")
        process.waitUntilExit()
        return samples
    }

    /// The C floor runner, compiled once by this harness (needs cc and libyaml).
    var floorRunner: String? {
        let binary = (self.binary as NSString).deletingLastPathComponent + "/floor-runner"
        if FileManager.default.isExecutableFile(atPath: binary) { return binary }
        let source = (#filePath as NSString).deletingLastPathComponent + "/../FloorRunner/floor-runner.c"
        shell("cc -O2 -o '\(binary)' '\(source)' -lyaml", in: "/")
        return FileManager.default.isExecutableFile(atPath: binary) ? binary : nil
    }

    /// Upstream command's end → downstream command's start, through `after`.
    func chainLatency(count: Int) -> [Double] {
        let (root, jobs, state) = fresh("chain")
        let stamps = root + "/ends"
        mkdir(stamps, 0o755)
        write("command: [/bin/sh, -c, 'date +%s%N > \(stamps)/$JOBDIR_EXECUTION']\noverlap: allow\nhistory: {keep: 100000}\n", to: jobs + "/up.yaml")
        write("command: [/bin/date, '+%s%N']\nafter: up\noverlap: allow\nhistory: {keep: 100000}\n", to: jobs + "/down.yaml")
        let daemon = Daemon(binary: binary, jobs: jobs, state: state)
        defer { daemon.stop() }
        _ = waitFor(10) { contents(state + "/results/down.json") != nil }
        var samples: [Double] = []
        for index in 0..<count {
            write("", to: state + "/triggers/.up.\(index)")
            rename(state + "/triggers/.up.\(index)", state + "/triggers/up@\(index)")
            _ = waitFor(10) { listing(state + "/logs/down").count == index + 1 && listing(state + "/logs/down").allSatisfy { stampedTime(state + "/logs/down/" + $0) != nil } }
            usleep(50_000)
        }
        // Pair each downstream run with its upstream through the record's trigger.
        for name in listing(state + "/executions/down") where name.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: state + "/executions/down/" + name),
                  let record = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let upstream = (record["trigger"] as? [String: Any])?["upstream_execution"] as? String,
                  let end = stampedTime(stamps + "/" + upstream),
                  let start = stampedTime(state + "/logs/down/" + name.dropLast(5) + ".log") else { continue }
            samples.append(milliseconds(start - end))
        }
        return samples
    }

    /// Resident memory of a daemon with a few jobs loaded, idle (KiB).
    func idleResident(jobs count: Int = 5) -> Int {
        let (_, jobs, state) = fresh("rss")
        for index in 0..<count { write("command: [/bin/true]\nschedule: '0 3 * * *'\n", to: jobs + "/j\(index).yaml") }
        let daemon = Daemon(binary: binary, jobs: jobs, state: state)
        defer { daemon.stop() }
        _ = waitFor(10) { contents(state + "/results/j\(count - 1).json") != nil }
        sleep(1)
        return daemon.residentKiB
    }
}

/// A writer streaming unsynced data to a file on the state disk, like a backup job: 1 MiB
/// blocks over a 512 MiB file, again and again, never synced (a thread of the harness, so
/// nothing is left behind when it stops).
final class NoisyNeighbour: @unchecked Sendable {
    private let fd: Int32
    private let done = DispatchSemaphore(value: 0)
    private var running = true
    private let lock = NSLock()

    init(file: String) {
        fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        let thread = Thread { [self] in
            let block = [UInt8](repeating: 0x5a, count: 1 << 20)
            var offset: off_t = 0
            while lock.withLock({ running }) {
                _ = pwrite(fd, block, block.count, offset)
                offset = (offset + off_t(block.count)) % (512 << 20)
            }
            done.signal()
        }
        thread.start()
        usleep(200_000)
    }

    func stop() {
        lock.withLock { running = false }
        done.wait()
        close(fd)
    }
}
