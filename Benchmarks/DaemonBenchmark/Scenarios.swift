import Foundation
import Glibc

/// Directories made by the scenarios, removed at the very end: mass deletes slow down file
/// creation on this disk for a while, and would skew the scenarios that follow.
nonisolated(unsafe) var scratch: [String] = []

/// The end-to-end scenarios; each returns its samples so runs can be repeated.
struct Scenarios {
    let binary: String

    func fresh(_ name: String) -> (root: String, jobs: String, state: String) {
        let root = makeTemporaryDirectory("jobdir-bench-\(name)")
        scratch.append(root)
        let jobs = root + "/jobs"
        try? FileManager.default.createDirectory(atPath: jobs, withIntermediateDirectories: true)
        return (root, jobs, root + "/state")
    }

    /// Trigger file renamed into triggers/ → `/bin/date` in the job's process prints its time.
    func triggerLatency(count: Int) -> [Double] {
        let (_, jobs, state) = fresh("trigger")
        write("command: [/bin/date, '+%s%N']\noverlap: allow\nhistory: {keep: 100000}\n", to: jobs + "/lat.yaml")
        let daemon = Daemon(binary: binary, jobs: jobs, state: state)
        defer { daemon.stop() }
        _ = waitFor(10) { contents(state + "/results/lat.json") != nil }
        var samples: [Double] = []
        for index in 0..<count {
            if let sample = dropTrigger(index, state: state) { samples.append(sample) }
        }
        return samples
    }

    /// Drops the `index`th trigger of job `lat` and waits for its `/bin/date` to run: ms from drop to start.
    func dropTrigger(_ index: Int, state: String) -> Double? {
        let temporary = state + "/triggers/.lat.\(index)"
        write("", to: temporary)
        let start = wallNanoseconds()
        rename(temporary, state + "/triggers/lat@\(index)")
        var stamp: Int64?
        _ = waitFor(10) {
            let logs = listing(state + "/logs/lat")
            guard logs.count == index + 1 else { return false }
            stamp = logs.lazy.compactMap { stampedTime(state + "/logs/lat/" + $0) }.max()
            return stamp != nil && logs.allSatisfy { stampedTime(state + "/logs/lat/" + $0) != nil }
        }
        return stamp.map { milliseconds($0 - start) }
    }

    /// The floor: an inotify event for a rename, then posix_spawn of /bin/date.
    func triggerFloor(count: Int) -> [Double] {
        let root = makeTemporaryDirectory("jobdir-bench-floor")
        scratch.append(root)
        let watcher = InotifyFloor(directory: root)
        var samples: [Double] = []
        for index in 0..<count {
            write("", to: root + "/.t\(index)")
            let start = wallNanoseconds()
            rename(root + "/.t\(index)", root + "/t\(index)")
            watcher.waitForEvent()
            if let stamp = spawnDate() { samples.append(milliseconds(stamp - start)) }
        }
        return samples
    }

    /// 200 jobs due at the same second: how late each starts.
    func scheduleAccuracy(jobs count: Int) -> [Double] {
        let (_, jobs, state) = fresh("schedule")
        let due = (wallNanoseconds() / 1_000_000_000 + 4) * 1_000_000_000
        let text = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(due / 1_000_000_000)))
        for index in 0..<count { write("command: [/bin/date, '+%s%N']\nat: '\(text)'\n", to: jobs + "/s\(index).yaml") }
        let daemon = Daemon(binary: binary, jobs: jobs, state: state, arguments: ["--max-parallel", "\(count)"])
        defer { daemon.stop() }
        var samples: [Double] = []
        _ = waitFor(20, every: 20) {
            samples = (0..<count).compactMap { index in
                listing(state + "/logs/s\(index)").first.flatMap { stampedTime(state + "/logs/s\(index)/" + $0) }.map { milliseconds($0 - due) }
            }
            return samples.count == count
        }
        return samples
    }

    /// The floor for `scheduleAccuracy`: one thread spawning `count` `/bin/date` back to back
    /// from a due instant, each process's lateness (ms).
    func spawnBurstFloor(count: Int) -> [Double] {
        let due = wallNanoseconds()
        return (0..<count).compactMap { _ in spawnDate().map { milliseconds($0 - due) } }
    }

    /// Runs of `true` per second to terminal state, every record durable.
    func throughput(runs: Int) -> Double {
        let (_, jobs, state) = fresh("throughput")
        write("command: [/bin/true]\noverlap: allow\nhistory: {keep: 100000}\n", to: jobs + "/t.yaml")
        let daemon = Daemon(binary: binary, jobs: jobs, state: state)
        defer { daemon.stop() }
        _ = waitFor(10) { contents(state + "/results/t.json") != nil }
        for index in 0..<runs { write("", to: state + "/bench-\(index)") }
        let start = wallNanoseconds()
        for index in 0..<runs { rename(state + "/bench-\(index)", state + "/triggers/t@\(index)") }
        _ = waitFor(300, every: 20) {
            guard let data = FileManager.default.contents(atPath: state + "/results/t.json"),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let counts = object["counts"] as? [String: Int] else { return false }
            return counts.values.reduce(0, +) >= runs
        }
        return Double(runs) / (Double(wallNanoseconds() - start) / 1e9)
    }

    /// Serial posix_spawn + wait of /bin/true per second.
    func spawnRate(runs: Int) -> Double {
        let start = wallNanoseconds()
        for _ in 0..<runs { spawnTrue() }
        return Double(runs) / (Double(wallNanoseconds() - start) / 1e9)
    }

    /// fsync'd atomic writes (temp, fsync, rename, fsync directory) per second.
    func fsyncRenameRate(writes: Int) -> Double {
        let root = makeTemporaryDirectory("jobdir-bench-fsync")
        scratch.append(root)
        let bytes = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
        let directory = open(root, O_RDONLY | O_DIRECTORY)
        defer { close(directory) }
        let start = wallNanoseconds()
        for index in 0..<writes {
            let temporary = root + "/.f\(index).tmp"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            _ = Glibc.write(fd, bytes, bytes.count)
            fsync(fd)
            close(fd)
            rename(temporary, root + "/f\(index % 50).json")
            fsync(directory)
        }
        return Double(writes) / (Double(wallNanoseconds() - start) / 1e9)
    }

    struct ScaleFigures {
        var loadSeconds: Double
        var residentMiB: Double
        var editMilliseconds: Double
        var idleCPUSeconds: Double
        var idleWakeups: Int
        var idleLoopWakeups: Int
        /// After the first commit of every result, the edit and the idle period.
        var settledMiB: Double
    }

    /// 10,000 job files whose next slot is an hour away.
    func scale(jobs count: Int, idleSeconds: Int) -> ScaleFigures {
        let (_, jobs, state) = fresh("scale")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let inAnHour = calendar.dateComponents([.hour, .minute], from: Date().addingTimeInterval(3600))
        // Every job has notify and ping configured: the idle figures include them.
        write("notify: {on: [failure, recovery], webhook: 'http://127.0.0.1:9/hook'}\nping: http://127.0.0.1:9/ping\n", to: jobs + "/_defaults.yaml")
        for index in 0..<count {
            write("description: job \(index)\ncommand: [/bin/true]\nschedule: '\(inAnHour.minute!) \(inAnHour.hour!) * * *'\ntimezone: UTC\n", to: jobs + "/team\(index % 100)/job\(index).yaml")
        }
        let start = wallNanoseconds()
        let daemon = Daemon(binary: binary, jobs: jobs, state: state)
        defer { daemon.stop() }
        _ = waitFor(600, every: 10) { daemon.log.contains("loaded_all reason=start") }
        let load = Double(wallNanoseconds() - start) / 1e9
        let resident = Double(daemon.residentKiB) / 1024
        // The first start writes every job's result in one group commit; edit after it.
        _ = waitFor(120, every: 10) { contents(state + "/results/team7/job7.json") != nil }
        let edited = jobs + "/team7/job7.yaml"
        let editStart = wallNanoseconds()
        write("description: edited\ncommand: [/bin/true]\nschedule: '\(inAnHour.minute!) \(inAnHour.hour!) * * *'\ntimezone: UTC\n", to: edited)
        _ = waitFor(30) { contents(state + "/results/team7/job7.json")?.contains("\"edited\"") == true }
        let edit = milliseconds(wallNanoseconds() - editStart)
        // Let the edit settle, then measure a quiet daemon.
        sleep(1)
        let cpuBefore = daemon.cpuTicks, switchesBefore = daemon.contextSwitches(), loopBefore = daemon.contextSwitches(thread: "jobdir-loop")
        sleep(UInt32(idleSeconds))
        let cpu = Double(daemon.cpuTicks - cpuBefore) / Double(sysconf(Int32(_SC_CLK_TCK)))
        return ScaleFigures(loadSeconds: load, residentMiB: resident, editMilliseconds: edit, idleCPUSeconds: cpu,
                            idleWakeups: daemon.contextSwitches() - switchesBefore,
                            idleLoopWakeups: daemon.contextSwitches(thread: "jobdir-loop") - loopBefore,
                            settledMiB: Double(daemon.residentKiB) / 1024)
    }

    /// `git checkout` switching 1,000 job files: until every change is in effect.
    func reloadStorm(files count: Int) -> Double {
        let (_, jobs, state) = fresh("storm")
        for index in 0..<count { write("description: one \(index)\ncommand: [/bin/true]\n", to: jobs + "/d\(index % 20)/j\(index).yaml") }
        let git = "git -c user.email=b@example.com -c user.name=b"
        shell("umask 022; git init -q -b one . && git add -A && \(git) commit -qm one && git checkout -q -b two", in: jobs)
        for index in 0..<count { write("description: two \(index)\ncommand: [/bin/true]\n", to: jobs + "/d\(index % 20)/j\(index).yaml") }
        shell("umask 022; \(git) commit -qam two && git checkout -q one", in: jobs)
        let daemon = Daemon(binary: binary, jobs: jobs, state: state)
        defer { daemon.stop() }
        _ = waitFor(120) { daemon.log.contains("loaded_all reason=start") }
        sleep(1)
        let start = wallNanoseconds()
        shell("umask 022; git checkout -q two", in: jobs)
        let lastFile = { (index: Int) in state + "/results/d\(index % 20)/j\(index).json" }
        var pending = Set(0..<count)
        _ = waitFor(120, every: 10) {
            pending = pending.filter { contents(lastFile($0))?.contains("\"two \($0)\"") != true }
            return pending.isEmpty
        }
        return milliseconds(wallNanoseconds() - start)
    }
}
