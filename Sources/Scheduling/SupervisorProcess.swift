/// A run's supervisor process as the record names it: its pid and its start time in
/// clock ticks since boot (`/proc/PID/stat` field 22), which tell it from a process that
/// reused the pid.
package struct SupervisorProcess: Hashable, Sendable, Codable {
    package var pid: Int32
    package var startTime: UInt64

    package init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    enum CodingKeys: String, CodingKey {
        case pid, startTime = "start_time"
    }
}
