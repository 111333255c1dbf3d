import Glibc
import Scheduling

/// Decoding of a `wait4` status word (the C macros are not visible from Swift).
enum WaitStatus {
    static func termination(_ status: Int32) -> RunOutcome.Termination {
        let low = status & 0x7f
        if low == 0 { return .exited(code: (status >> 8) & 0xff) }
        return .signaled(signal: low)
    }

    static func resourceUsage(_ ru: rusage) -> ResourceUsage {
        func ms(_ t: timeval) -> Int64 { Int64(t.tv_sec) * 1000 + Int64(t.tv_usec) / 1000 }
        return ResourceUsage(userCPUMilliseconds: ms(ru.ru_utime), systemCPUMilliseconds: ms(ru.ru_stime),
                             maxRSSKiB: Int64(ru.ru_maxrss))
    }
}
