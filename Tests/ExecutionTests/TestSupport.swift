import Foundation
import Glibc
import Synchronization
@testable import Execution

/// A fresh temp directory, removed by `remove()`.
struct TempDirectory {
    let path: String

    init() {
        var template = Array("/tmp/jobdir-exec-test.XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String, mode: mode_t = 0o644) {
        let fd = open(file(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        precondition(fd >= 0)
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
        chmod(file(name), mode)
    }

    func read(_ name: String) -> String {
        (try? String(contentsOfFile: file(name), encoding: .utf8)) ?? ""
    }

    func size(_ name: String) -> Int {
        var st = stat()
        return stat(file(name), &st) == 0 ? Int(st.st_size) : -1
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Polls `condition` until it holds or `seconds` pass; no fixed sleeps in tests.
func eventually(within seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

let basicEnvironment = ["PATH": "/usr/local/bin:/usr/bin:/bin"]

func shell(_ script: String, in dir: TempDirectory, id: String = UUID().uuidString, maxBytes: Int = 1 << 20,
           timeout: Duration? = nil, grace: Duration = .seconds(2), env: [String: String] = basicEnvironment) -> SpawnRequest {
    SpawnRequest(id: id, arguments: ["/bin/sh", "-c", script], environment: env, workingDirectory: dir.path,
                 logPath: dir.file("\(id).log"), maxOutputBytes: maxBytes, timeout: timeout, killGrace: grace)
}

/// Records the process handed to `onStarted`.
final class StartedBox: Sendable {
    let value = Mutex<StartedProcess?>(nil)
    var process: StartedProcess? { value.withLock { $0 } }
    func set(_ p: StartedProcess) { value.withLock { $0 = p } }
}

/// Zombie children of this test process; with `group`, only those of that process group,
/// and with `named`, only those whose command name is one of them: suites running beside
/// this one start and reap children of the same process all the time.
func zombieChildren(group: Int32? = nil, named names: Set<String>? = nil) -> [Int32] {
    let me = getpid()
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { name -> Int32? in
        guard let pid = Int32(name),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, fields[0] == "Z", Int32(fields[1]) == me else { return nil }
        if let group, Int32(fields[2]) != group { return nil }
        if let names, !names.contains(String(stat[stat.index(after: open)..<close])) { return nil }
        return pid
    }
}
