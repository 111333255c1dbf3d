import CLinux
import Definitions
import Foundation
import Glibc
import Scheduling
import StateStore
import SystemCalls
import Watching

/// The drop boxes people and the CLI write requests into: `triggers/<job-id>` (or
/// `triggers/<job-id>@<anything>`), `cancel/<execution-id>` and the approval markers
/// `approvals/<execution-id>.approve|.reject`. It owns their inotify watches and turns
/// events and directory listings into requests; what a request does is the daemon's.
///
/// A trigger is claimed by renaming it to `triggers/.claimed/<execution-id>+<job>`
/// before its record is written, and removed after: a crash in between leaves the
/// claim, which the next start runs under the same id unless its record exists.
final class RequestInbox {
    enum Request: Equatable {
        /// A trigger file, relative to `triggers/`.
        case trigger(String)
        /// A cancel file, relative to `cancel/`.
        case cancel(String)
        /// An approval marker's name in `approvals/`.
        case approvalMarker(String)
    }

    static let approvalMask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)

    let layout: StateLayout
    private let inotify: Inotify
    private let triggerTree: JobTreeWatcher
    private let cancelTree: JobTreeWatcher
    private var approvalsWatch: Int32 = -1

    init(layout: StateLayout, inotify: Inotify) {
        self.layout = layout
        self.inotify = inotify
        triggerTree = JobTreeWatcher(root: layout.triggersDirectory, inotify: inotify)
        cancelTree = JobTreeWatcher(root: layout.cancelDirectory, inotify: inotify)
    }

    var claimedDirectory: String { layout.triggersDirectory + "/.claimed" }

    /// Where the claim of a trigger that became `execution` of `job` lies.
    func claimPath(execution: ExecutionID, job: JobID) -> String {
        claimedDirectory + "/" + claimName(execution: execution, job: job)
    }

    /// The claim's name in `triggers/.claimed`.
    func claimName(execution: ExecutionID, job: JobID) -> String {
        execution.rawValue + "+" + String(job.rawValue.map { $0 == "/" ? "+" : $0 })
    }

    /// Starts watching; returns the error when the approvals directory cannot be watched.
    func start() -> (any Error)? {
        triggerTree.start()
        cancelTree.start()
        do {
            approvalsWatch = try inotify.addWatch(layout.approvalsDirectory, mask: Self.approvalMask)
            return nil
        } catch {
            return error
        }
    }

    /// Whether `watch` is the approvals directory's (its events concern nothing else).
    func isApprovalsWatch(_ watch: Int32) -> Bool { watch == approvalsWatch }

    /// The requests an inotify event of one of this inbox's watches brings.
    func requests(from event: InotifyEvent) -> [Request] {
        if event.watch == approvalsWatch {
            guard !event.name.isEmpty else { return [] }
            if event.has(IN_CREATE) {
                // Only a symlink is acted on at creation; a file is read once it is closed.
                var info = stat()
                guard lstat(layout.approvalsDirectory + "/" + event.name, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return [] }
            }
            return [.approvalMarker(event.name)]
        }
        if triggerTree.owns(event.watch) {
            return triggerTree.handle(event).compactMap { if case .written(let path) = $0 { .trigger(path) } else { nil } }
        }
        if cancelTree.owns(event.watch) {
            return cancelTree.handle(event).compactMap { if case .written(let path) = $0 { .cancel(path) } else { nil } }
        }
        return []
    }

    /// The drop boxes, read and changed without following symlinks below them.
    var triggers: DropBox { DropBox(directory: layout.triggersDirectory) }
    var cancels: DropBox { DropBox(directory: layout.cancelDirectory) }
    var approvals: DropBox { DropBox(directory: layout.approvalsDirectory) }
    var claims: DropBox { DropBox(directory: claimedDirectory) }

    /// A descriptor of `triggers/.claimed`, the daemon's own (`DropBox.privateDirectory`:
    /// anything else a user put under that name is moved aside first). It is kept open for
    /// the next claim, and checked again when the name no longer leads to it; the inbox
    /// closes it.
    func claimDirectory() throws(Errno) -> Int32 {
        if let kept = keptClaimDirectory {
            var info = stat()
            if lstat(claimedDirectory, &info) == 0, info.st_dev == kept.device, info.st_ino == kept.inode { return kept.fd }
            close(kept.fd)
            keptClaimDirectory = nil
        }
        let fd = try triggers.privateDirectory(".claimed")
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw Errno(code, call: "fstat")
        }
        keptClaimDirectory = (fd, info.st_dev, info.st_ino)
        return fd
    }

    private var keptClaimDirectory: (fd: Int32, device: dev_t, inode: ino_t)?

    deinit {
        if let kept = keptClaimDirectory { close(kept.fd) }
    }

    /// Claims left by a crash, oldest first (names in `triggers/.claimed`).
    func leftClaims() -> [String] {
        guard (try? claimDirectory()) != nil else { return [] }
        return directoryNames(claimedDirectory)
    }

    /// Requests dropped while no daemon watched.
    func waitingRequests() -> [Request] {
        triggerTree.files(below: "").map(Request.trigger) + cancelTree.files(below: "").map(Request.cancel)
    }

    /// Approval markers present now.
    func waitingMarkers() -> [Request] {
        directoryNames(layout.approvalsDirectory).filter { $0.hasSuffix(".approve") || $0.hasSuffix(".reject") }.map(Request.approvalMarker)
    }
}
