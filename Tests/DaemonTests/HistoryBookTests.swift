@testable import Daemon
import Foundation
import PolicySupport
import Scheduling
import Testing

/// The record counts and oldest due times retention is decided from, with fixed times and
/// a listing that counts how often it is asked.
@Suite struct HistoryBookTests {
    /// A listing of `seconds` (due times after t0, oldest first) that counts its calls.
    final class Listing {
        var ids: [ExecutionID]
        var calls = 0
        init(_ seconds: [Double]) { ids = seconds.map { Policy.id($0) } }
        func list() -> [ExecutionID] {
            calls += 1
            return ids
        }
    }

    @Test func aJobIsListedOnceAndNewRecordsAreCountedInMemory() {
        var book = HistoryBook()
        let listing = Listing([10, 20])
        let first = book.figures("a", list: listing.list)
        #expect(first.count == 2 && first.oldest == Policy.at(10))
        book.added("a", dueAt: Policy.at(30))
        book.added("a", dueAt: Policy.at(5))
        let second = book.figures("a", list: listing.list)
        #expect(second.count == 4)
        #expect(second.oldest == Policy.at(5), "an added record due earlier is the oldest")
        #expect(listing.calls == 1)
    }

    @Test func aRecordAddedBeforeTheFirstListingIsLeftToIt() {
        var book = HistoryBook()
        book.added("a", dueAt: Policy.at(0))
        let listing = Listing([0])
        let figures = book.figures("a", list: listing.list)
        #expect(figures.count == 1, "not counted twice")
        #expect(listing.calls == 1)
    }

    @Test func aJobWithoutRecordsHasNoOldestUntilOneIsAdded() {
        var book = HistoryBook()
        let empty = book.figures("a") { [] }
        #expect(empty.count == 0 && empty.oldest == nil)
        book.added("a", dueAt: Policy.at(7))
        let one = book.figures("a") { [] }
        #expect(one.count == 1 && one.oldest == Policy.at(7))
    }

    @Test func jobsAreCountedApart() {
        var book = HistoryBook()
        _ = book.figures("a") { [Policy.id(0)] }
        _ = book.figures("b") { [] }
        book.added("b", dueAt: Policy.at(1))
        let a = book.figures("a") { [] }
        let b = book.figures("b") { [] }
        #expect(a.count == 1 && b.count == 1)
        #expect(a.oldest == Policy.at(0) && b.oldest == Policy.at(1))
    }

    @Test func retentionIsDueOnlyPastTheCountToKeep() {
        var book = HistoryBook()
        let listing = Listing([0, 1, 2])
        let atKeep = book.pruneDue("a", keep: 3, maxAge: nil, now: Policy.at(3), list: listing.list)
        #expect(!atKeep)
        book.added("a", dueAt: Policy.at(3))
        let pastKeep = book.pruneDue("a", keep: 3, maxAge: nil, now: Policy.at(4), list: listing.list)
        #expect(pastKeep)
        #expect(listing.calls == 1, "the count came from memory")
    }

    @Test func retentionIsDueOnlyOnceTheOldestIsPastTheMaximumAge() {
        var book = HistoryBook()
        let listing = Listing([0, 50])
        let atAge = book.pruneDue("a", keep: 100, maxAge: .seconds(60), now: Policy.at(60), list: listing.list)
        #expect(!atAge, "exactly the maximum age is not past it")
        let pastAge = book.pruneDue("a", keep: 100, maxAge: .seconds(60), now: Policy.at(61), list: listing.list)
        #expect(pastAge)
        let noAge = book.pruneDue("a", keep: 100, maxAge: nil, now: Policy.at(10_000), list: listing.list)
        #expect(!noAge, "without a maximum age only the count matters")
        let noRecords = book.pruneDue("b", keep: 0, maxAge: .seconds(1), now: Policy.at(10_000)) { [] }
        #expect(!noRecords)
    }

    @Test func aDuePruneForgetsTheFiguresAndTheNextCheckListsAgain() {
        var book = HistoryBook()
        let listing = Listing([0, 1, 2])
        let due = book.pruneDue("a", keep: 2, maxAge: nil, now: Policy.at(3), list: listing.list)
        #expect(due)
        // The prune removed the oldest record; a new one is written before the next check.
        listing.ids.removeFirst()
        listing.ids.append(Policy.id(3))
        book.added("a", dueAt: Policy.at(3))
        let after = book.figures("a", list: listing.list)
        #expect(listing.calls == 2)
        #expect(after.count == 3 && after.oldest == Policy.at(1), "the addition is in the new listing, not counted on top")
    }

    @Test func resetMakesTheNextCheckListAgain() {
        var book = HistoryBook()
        let listing = Listing([0])
        _ = book.figures("a", list: listing.list)
        book.reset("a")
        listing.ids.append(Policy.id(1))
        let figures = book.figures("a", list: listing.list)
        #expect(listing.calls == 2 && figures.count == 2)
    }
}
