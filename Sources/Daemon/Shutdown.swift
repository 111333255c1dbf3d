/// A graceful stop (SPEC section 8): from the first SIGTERM or SIGINT no new run starts;
/// running ones get the grace, then are canceled once.
struct Shutdown {
    private(set) var stopping = false
    /// Monotonic nanoseconds at which the grace is over.
    private(set) var deadline: UInt64?
    private var runsCanceled = false

    /// Starts the stop at `now`; false when it had already started.
    mutating func begin(now: UInt64, graceNanoseconds: UInt64) -> Bool {
        guard !stopping else { return false }
        stopping = true
        deadline = now + graceNanoseconds
        return true
    }

    /// Whether the grace is over at `now` and the runs are to be canceled (true once).
    mutating func graceOver(now: UInt64) -> Bool {
        guard let deadline, now >= deadline, !runsCanceled else { return false }
        runsCanceled = true
        return true
    }

    /// When the loop must wake for the end of the grace.
    var wake: UInt64? { runsCanceled ? nil : deadline }
}
