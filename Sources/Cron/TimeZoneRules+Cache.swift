import Synchronization

extension TimeZoneRules {
    private static let cache = Mutex<[String: Result<TimeZoneRules, TimeZoneError>]>([:])

    /// `TimeZoneRules(named:)`, read from the zoneinfo directory once per name per process.
    package static func cached(named identifier: String) throws(TimeZoneError) -> TimeZoneRules {
        if let known = cache.withLock({ $0[identifier] }) { return try known.get() }
        let loaded: Result<TimeZoneRules, TimeZoneError>
        do { loaded = .success(try TimeZoneRules(named: identifier)) } catch { loaded = .failure(error) }
        cache.withLock { $0[identifier] = loaded }
        return try loaded.get()
    }
}
