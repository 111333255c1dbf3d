/// The record's `rusage` object: CPU time and peak memory of the run's main process
/// and the descendants it waited for (from `wait4`). `max_rss_kib` is at least the
/// spawning daemon's own peak (see `RunOutcome.resourceUsage` in Execution).
package struct ResourceUsage: Hashable, Sendable, Codable {
    package var userCPUMilliseconds: Int64
    package var systemCPUMilliseconds: Int64
    package var maxRSSKiB: Int64

    package init(userCPUMilliseconds: Int64, systemCPUMilliseconds: Int64, maxRSSKiB: Int64) {
        self.userCPUMilliseconds = userCPUMilliseconds
        self.systemCPUMilliseconds = systemCPUMilliseconds
        self.maxRSSKiB = maxRSSKiB
    }

    enum CodingKeys: String, CodingKey {
        case userCPUMilliseconds = "user_cpu_ms"
        case systemCPUMilliseconds = "system_cpu_ms"
        case maxRSSKiB = "max_rss_kib"
    }
}
