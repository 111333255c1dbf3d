/// Per-key quiet periods: a key is due once nothing has touched it for its
/// delay. Time is a parameter (monotonic nanoseconds), so it is tested without sleeping.
package struct Debouncer<Key: Hashable> {
    private var deadlines: [Key: UInt64] = [:]

    package init() {}

    package var isEmpty: Bool { deadlines.isEmpty }

    /// (Re)starts `key`'s quiet period: due `delay` nanoseconds after `now`.
    package mutating func touch(_ key: Key, now: UInt64, delay: UInt64) {
        deadlines[key] = now &+ delay
    }

    package mutating func cancel(_ key: Key) {
        deadlines[key] = nil
    }

    /// The earliest deadline, for the event loop's timer.
    package var nextDeadline: UInt64? { deadlines.values.min() }

    /// Removes and returns the keys whose quiet period is over at `now`.
    package mutating func takeDue(now: UInt64) -> [Key] {
        let due = deadlines.filter { $0.value <= now }.map(\.key)
        for key in due { deadlines[key] = nil }
        return due
    }
}
