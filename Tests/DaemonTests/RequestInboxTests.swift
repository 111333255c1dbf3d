@testable import Daemon
import Foundation
import Glibc
import PolicySupport
import Scheduling
import StateStore
import Testing
import Watching

/// Which events of the drop boxes yield which requests, and what a start finds waiting: on a
/// real inotify instance and temp directories, without a daemon.
@Suite struct RequestInboxTests {
    /// A state directory with its three drop boxes and an inbox watching them.
    final class Boxes {
        let root: String
        let layout: StateLayout
        let inotify: Inotify
        let inbox: RequestInbox

        init(start: Bool = true) throws {
            var template = Array("/tmp/jobdir-inbox-test.XXXXXX".utf8CString)
            root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
            layout = StateLayout(root: root)
            for directory in [layout.triggersDirectory, layout.cancelDirectory, layout.approvalsDirectory] {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            inotify = try Inotify()
            inbox = RequestInbox(layout: layout, inotify: inotify)
            if start { #expect(inbox.start() == nil) }
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        /// Creates, writes and closes `relative` (below the state directory).
        func write(_ relative: String) {
            let fd = open(root + "/" + relative, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
            precondition(fd >= 0, "cannot create \(relative)")
            _ = "{}".withCString { Glibc.write(fd, $0, 2) }
            close(fd)
        }

        func makeDirectory(_ relative: String, mode: mode_t = 0o755) {
            precondition(mkdir(root + "/" + relative, mode) == 0)
        }

        func rename(_ from: String, _ to: String) {
            precondition(Glibc.rename(root + "/" + from, root + "/" + to) == 0)
        }

        /// The requests of every event queued now, as the daemon routes them; with
        /// `expecting`, waits (bounded) until that many came. A file's close event comes
        /// when its last reference goes, and a process another test thread is spawning
        /// holds one until its exec: it may come a moment after the test's `close`.
        func requests(expecting count: Int = 0) -> [RequestInbox.Request] {
            var requests = inotify.readEvents().flatMap { inbox.requests(from: $0) }
            let deadline = Date().addingTimeInterval(10)
            while requests.count < count && Date() < deadline {
                var ready = pollfd(fd: inotify.descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&ready, 1, 100)
                requests += inotify.readEvents().flatMap { inbox.requests(from: $0) }
            }
            return requests
        }
    }

    @Test func aTriggerFileIsARequestOnceClosed() throws {
        let boxes = try Boxes()
        boxes.write("triggers/backup")
        #expect(boxes.requests(expecting: 1) == [.trigger("backup")], "its creation and writes are not")
    }

    @Test func aTriggerMovedInIsARequest() throws {
        let boxes = try Boxes()
        boxes.write("staged")
        #expect(boxes.requests().isEmpty, "the state directory itself is not a drop box")
        boxes.rename("staged", "triggers/backup@manual")
        #expect(boxes.requests(expecting: 1) == [.trigger("backup@manual")])
    }

    @Test func aTriggerInADirectoryMadeAfterTheStartIsARequest() throws {
        let boxes = try Boxes()
        boxes.makeDirectory("triggers/team")
        #expect(boxes.requests().isEmpty)
        boxes.write("triggers/team/nightly")
        #expect(boxes.requests(expecting: 1) == [.trigger("team/nightly")])
    }

    @Test func claimingOrRemovingARequestIsNoRequest() throws {
        let boxes = try Boxes()
        _ = try boxes.inbox.claimDirectory()
        boxes.write("triggers/backup")
        boxes.write("cancel/x")
        #expect(boxes.requests(expecting: 2) == [.trigger("backup"), .cancel("x")])
        boxes.rename("triggers/backup", "triggers/.claimed/x+backup")
        boxes.write("triggers/.claimed/y+backup")
        unlink(boxes.root + "/cancel/x")
        #expect(boxes.requests().isEmpty)
    }

    @Test func theClaimDirectoryIsCheckedAgainOnceItsNameLeadsElsewhere() throws {
        let boxes = try Boxes()
        let first = try boxes.inbox.claimDirectory()
        #expect(try boxes.inbox.claimDirectory() == first, "kept while it is the one named")
        boxes.rename("triggers/.claimed", "triggers/old-claims")
        boxes.makeDirectory("elsewhere")
        #expect(symlink(boxes.root + "/elsewhere", boxes.root + "/triggers/.claimed") == 0)
        let second = try boxes.inbox.claimDirectory()
        var kept = stat(), named = stat()
        #expect(fstat(second, &kept) == 0 && lstat(boxes.root + "/triggers/.claimed", &named) == 0)
        #expect(named.st_mode & S_IFMT == S_IFDIR && kept.st_ino == named.st_ino, "a directory of its own again, not the symlink")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: boxes.root + "/triggers")) ?? []
        #expect(names.contains { $0.hasPrefix(".claimed.foreign-") }, "the symlink moved aside: \(names)")
    }

    @Test func aCancelFileIsACancelRequest() throws {
        let boxes = try Boxes()
        let id = Policy.id(0)
        boxes.write("cancel/\(id.rawValue)")
        #expect(boxes.requests(expecting: 1) == [.cancel(id.rawValue)])
    }

    @Test func anApprovalMarkerIsARequestOnceClosedOrAtOnceAsASymlink() throws {
        let boxes = try Boxes()
        boxes.write("approvals/x.approve")
        #expect(boxes.requests(expecting: 1) == [.approvalMarker("x.approve")])
        precondition(symlink("/dev/null", boxes.layout.approvalsDirectory + "/y.reject") == 0)
        #expect(boxes.requests(expecting: 1) == [.approvalMarker("y.reject")])
    }

    @Test func onlyTheApprovalsDirectorysEventsAreItsWatchs() throws {
        let boxes = try Boxes()
        boxes.write("approvals/x.approve")
        boxes.write("triggers/backup")
        let events = boxes.inotify.readEvents().filter { !$0.name.isEmpty }
        #expect(events.filter { boxes.inbox.isApprovalsWatch($0.watch) }.allSatisfy { $0.name == "x.approve" })
        #expect(events.contains { boxes.inbox.isApprovalsWatch($0.watch) })
        #expect(events.contains { !boxes.inbox.isApprovalsWatch($0.watch) && $0.name == "backup" })
    }

    @Test func requestsDroppedWhileNobodyWatchedAreFoundAtTheStart() throws {
        let boxes = try Boxes(start: false)
        boxes.makeDirectory("triggers/team")
        boxes.makeDirectory("triggers/.claimed", mode: 0o700)
        boxes.write("triggers/backup")
        boxes.write("triggers/team/nightly")
        boxes.write("triggers/.claimed/x+backup")
        boxes.write("cancel/x")
        boxes.write("approvals/a.approve")
        boxes.write("approvals/b.reject")
        boxes.write("approvals/c.json")
        let requests = boxes.inbox.waitingRequests()
        #expect(requests.count == 3)
        for request in [RequestInbox.Request.trigger("backup"), .trigger("team/nightly"), .cancel("x")] {
            #expect(requests.contains(request))
        }
        let markers = boxes.inbox.waitingMarkers()
        #expect(markers.count == 2)
        #expect(markers.contains(.approvalMarker("a.approve")) && markers.contains(.approvalMarker("b.reject")))
        #expect(boxes.inbox.leftClaims() == ["x+backup"])
    }

    @Test func aClaimIsNamedAfterItsExecutionAndJob() throws {
        let boxes = try Boxes(start: false)
        let id = Policy.id(0)
        let name = boxes.inbox.claimName(execution: id, job: Policy.jobID("team/nightly"))
        #expect(name == id.rawValue + "+team+nightly")
        #expect(boxes.inbox.claimPath(execution: id, job: Policy.jobID("team/nightly")) == boxes.layout.triggersDirectory + "/.claimed/" + name)
    }
}
