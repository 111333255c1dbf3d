/// When the metrics file may be written again: at most once per `interval`, and only
/// after a change. A change within `interval` of the last write is written when the
/// interval is over, together with every change made meanwhile.
package struct WriteThrottle: Sendable, Equatable {
    package let interval: UInt64
    /// The monotonic time of the last write, in nanoseconds; nil before the first.
    package private(set) var lastWrite: UInt64?

    package init(intervalNanoseconds: UInt64 = 1_000_000_000) { interval = intervalNanoseconds }

    /// The earliest time a change made at `now` may be written.
    package func earliestWrite(now: UInt64) -> UInt64 {
        guard let lastWrite else { return now }
        return max(now, lastWrite + interval)
    }

    package mutating func wrote(at now: UInt64) { lastWrite = now }
}
