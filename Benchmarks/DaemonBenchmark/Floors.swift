import Foundation
import Glibc

/// A blocking inotify reader on one directory, for the trigger floor.
final class InotifyFloor {
    let fd: Int32

    init(directory: String) {
        fd = inotify_init1(Int32(IN_CLOEXEC))
        _ = inotify_add_watch(fd, directory, UInt32(IN_MOVED_TO))
    }

    deinit { close(fd) }

    func waitForEvent() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        _ = read(fd, &buffer, buffer.count)
    }
}

/// posix_spawn of `/bin/date +%s%N` with its output in a pipe; returns the time it printed.
func spawnDate() -> Int64? {
    var pipeEnds: [Int32] = [-1, -1]
    pipe(&pipeEnds)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
    posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
    defer { posix_spawn_file_actions_destroy(&actions) }
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/date"), strdup("+%s%N"), nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, "/bin/date", &actions, nil, argv, environ) == 0 else { return nil }
    close(pipeEnds[1])
    var buffer = [UInt8](repeating: 0, count: 64)
    let count = read(pipeEnds[0], &buffer, buffer.count)
    close(pipeEnds[0])
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return Int64(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
}

func spawnTrue() {
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
    defer { free(argv[0]) }
    var pid: pid_t = 0
    guard posix_spawn(&pid, "/bin/true", nil, nil, argv, environ) == 0 else { return }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
}
