import Foundation

/// Waits until `condition` holds or `timeout` passes; returns whether it held.
/// It re-checks every few milliseconds: a deadline on a condition, not a fixed sleep.
package func waitUntil(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try condition()
}
