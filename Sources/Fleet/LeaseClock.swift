/// When this host's lease is known to be alive, on the monotonic clock (nanoseconds).
///
/// etcd counts a lease's TTL from the moment its leader handles a renewal, which is after
/// this host sent it: so the lease lives at least until `sent + TTL` of the last renewal
/// that was acknowledged. The host acts as if it ended `margin` before that: past
/// `deadline` it must not run `once` work (self-fencing). Renewals go every third of the TTL.
package struct LeaseClock: Sendable, Equatable {
    package let ttl: UInt64
    package let margin: UInt64
    /// Send time of the last acknowledged grant or renewal; nil without a lease.
    package private(set) var acknowledgedSend: UInt64?
    /// When the last renewal was sent (acknowledged or not).
    package private(set) var lastSend: UInt64?

    package init(ttlNanoseconds: UInt64, marginNanoseconds: UInt64) {
        ttl = ttlNanoseconds
        margin = marginNanoseconds
    }

    package var renewInterval: UInt64 { ttl / 3 }

    /// The instant after which the host must consider its lease lost.
    package var deadline: UInt64? { acknowledgedSend.map { $0 + ttl - margin } }

    package mutating func sent(at now: UInt64) { lastSend = now }

    /// A grant or renewal sent at `sentAt` was acknowledged with the lease alive.
    package mutating func acknowledged(sentAt: UInt64) {
        acknowledgedSend = max(acknowledgedSend ?? 0, sentAt)
    }

    /// The lease is gone (expired, revoked, or given up past its deadline).
    package mutating func lost() {
        acknowledgedSend = nil
        lastSend = nil
    }

    /// When the next renewal is due: a third of the TTL after the last one sent, or at
    /// once if none was sent; nil without a lease.
    package var renewDue: UInt64? {
        guard acknowledgedSend != nil else { return nil }
        return (lastSend ?? 0) + renewInterval
    }

    package func isPastDeadline(at now: UInt64) -> Bool {
        deadline.map { now >= $0 } ?? false
    }
}
