import Foundation
import Glibc
import Testing
@testable import StateStore

/// A drop box's requests are reached without following symlinks: a directory on a
/// request's way swapped for a symlink after the request was seen leads nowhere.
@Suite struct DropBoxTests {
    /// A drop box `box/` with `box/a/b/passwd`, and a victim `outside/b/passwd` that a
    /// symlink `box/a/b -> outside/b` swapped in afterwards would name.
    func swapped() throws -> (dir: TempDirectory, box: DropBox, victim: String) {
        let dir = TempDirectory()
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir.file("box/a/b"), withIntermediateDirectories: true)
        fm.createFile(atPath: dir.file("box/a/b/passwd"), contents: Data("request".utf8))
        try fm.createDirectory(atPath: dir.file("outside/b"), withIntermediateDirectories: true)
        fm.createFile(atPath: dir.file("outside/b/passwd"), contents: Data("root:x:0:0".utf8))
        try fm.moveItem(atPath: dir.file("box/a/b"), toPath: dir.file("box/a/b.old"))
        try fm.createSymbolicLink(atPath: dir.file("box/a/b"), withDestinationPath: dir.file("outside/b"))
        return (dir, DropBox(directory: dir.file("box")), dir.file("outside/b/passwd"))
    }

    @Test func aSymlinkedDirectoryIsNotFollowedToRemove() throws {
        let (dir, box, victim) = try swapped()
        defer { dir.remove() }
        #expect(!box.remove("a/b/passwd"))
        #expect(FileManager.default.fileExists(atPath: victim), "the file the symlink leads to is still there")
    }

    @Test func aSymlinkedDirectoryIsNotFollowedToRead() throws {
        let (dir, box, _) = try swapped()
        defer { dir.remove() }
        guard case .unavailable = box.open("a/b/passwd", readingAtMost: 4096) else {
            Issue.record("read through a symlinked directory")
            return
        }
    }

    @Test func aSymlinkedDirectoryIsNotFollowedToRename() throws {
        let (dir, box, victim) = try swapped()
        defer { dir.remove() }
        // Seen while it was a real directory, moved after the swap.
        try FileManager.default.moveItem(atPath: dir.file("box/a/b"), toPath: dir.file("box/a/b.link"))
        try FileManager.default.moveItem(atPath: dir.file("box/a/b.old"), toPath: dir.file("box/a/b"))
        guard case .request(let request) = box.open("a/b/passwd", readingAtMost: 4096) else {
            Issue.record("the real request is not read")
            return
        }
        #expect(request.bytes == Array("request".utf8))
        try FileManager.default.moveItem(atPath: dir.file("box/a/b"), toPath: dir.file("box/a/b.old"))
        try FileManager.default.moveItem(atPath: dir.file("box/a/b.link"), toPath: dir.file("box/a/b"))
        let claims = try box.privateDirectory(".claimed")
        defer { close(claims) }
        #expect(!box.move(request, at: "a/b/passwd", to: claims, name: "claim"))
        #expect(FileManager.default.fileExists(atPath: victim), "the file the symlink leads to is still there")
    }

    @Test func aSymlinkedRequestIsSeenAsOneAndNotRead() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("box"), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir.file("secret"), contents: Data("secret".utf8))
        try FileManager.default.createSymbolicLink(atPath: dir.file("box/x.approve"), withDestinationPath: dir.file("secret"))
        guard case .symlink = DropBox(directory: dir.file("box")).open("x.approve", readingAtMost: 4096) else {
            Issue.record("a symlink was opened")
            return
        }
    }

    @Test func aRequestIsReadUpToTheLimitAndItsNamesCounted() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("box"), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir.file("box/big"), contents: Data(repeating: 0x41, count: 10_000))
        link(dir.file("box/big"), dir.file("box/other-name"))
        guard case .request(let request) = DropBox(directory: dir.file("box")).open("big", readingAtMost: 4096) else {
            Issue.record("not read")
            return
        }
        #expect(request.bytes.count == 4096 && request.isLarger)
        #expect(request.info.st_nlink == 2)
    }

    @Test func aForeignClaimDirectoryIsMovedAside() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("box"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("elsewhere"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.file("box/.claimed"), withDestinationPath: dir.file("elsewhere"))
        let fd = try DropBox(directory: dir.file("box")).privateDirectory(".claimed")
        close(fd)
        var info = stat()
        #expect(lstat(dir.file("box/.claimed"), &info) == 0 && info.st_mode & S_IFMT == S_IFDIR && info.st_mode & 0o777 == 0o700)
        #expect(dir.names("box").contains { $0.hasPrefix(".claimed.foreign-") })
    }

    @Test func aDirectoryOthersMayWriteIsNamed() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("box/open"), withIntermediateDirectories: true)
        chmod(dir.file("box/open"), 0o777)
        FileManager.default.createFile(atPath: dir.file("box/open/job"), contents: nil)
        guard case .request(let request) = DropBox(directory: dir.file("box")).open("open/job", readingAtMost: 0) else {
            Issue.record("not opened")
            return
        }
        #expect(request.directoryOpenToOthers(daemonUID: geteuid()) == "open")
        chmod(dir.file("box/open"), 0o1777)
        guard case .request(let sticky) = DropBox(directory: dir.file("box")).open("open/job", readingAtMost: 0) else { return }
        #expect(sticky.directoryOpenToOthers(daemonUID: geteuid()) == nil)
    }
}

/// The directories of nested jobs' requests are the daemon's and sticky, whoever made
/// them first.
@Suite struct SharedDropBoxDirectoryTests {
    func mode(_ path: String) -> (uid: uid_t, mode: mode_t)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (info.st_uid, info.st_mode & 0o7777)
    }

    @Test func missingDirectoriesAreMadeStickyAndOursAndOursAreMadeSo() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("box/a"), withIntermediateDirectories: true)
        chmod(dir.file("box/a"), 0o700)
        let box = DropBox(directory: dir.file("box"))
        #expect(try box.makeSharedDirectories(for: "a/b/job").isEmpty)
        for path in ["box/a", "box/a/b"] {
            #expect(mode(dir.file(path))?.mode == 0o1733, "\(path)")
            #expect(mode(dir.file(path))?.uid == geteuid())
        }
        #expect(mode(dir.file("box/a/b/job")) == nil, "the last component is the request's name")
        #expect(try box.makeSharedDirectories(for: "flat").isEmpty)
    }

    @Test func aSymlinkInTheWayIsMovedAsideNotFollowed() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("box"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("outside"), withIntermediateDirectories: true)
        chmod(dir.file("outside"), 0o755)
        try FileManager.default.createSymbolicLink(atPath: dir.file("box/a"), withDestinationPath: dir.file("outside"))
        let moved = try DropBox(directory: dir.file("box")).makeSharedDirectories(for: "a/job")
        #expect(moved.count == 1 && moved.first?.path == "a" && moved.first?.movedTo.hasPrefix("a.foreign-") == true)
        #expect(mode(dir.file("box/a"))?.mode == 0o1733)
        #expect(mode(dir.file("outside"))?.mode == 0o755, "the symlink's target is untouched")
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to make a directory of another user's"))
    func anotherUsersDirectoryIsMovedAsideKeepingOnlyItsOwnersRequests() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir.file("box/a"), withIntermediateDirectories: true)
        for name in ["mine", "roots", "linked"] { fm.createFile(atPath: dir.file("box/a/\(name)"), contents: Data()) }
        link(dir.file("box/a/linked"), dir.file("box/linked-elsewhere"))
        for name in ["a", "a/mine", "a/linked"] { chown(dir.file("box/\(name)"), 65534, 65534) }
        let moved = try DropBox(directory: dir.file("box")).makeSharedDirectories(for: "a/job")
        #expect(moved.count == 1 && moved.first?.owner == 65534 && moved.first?.requestsKept == 1)
        #expect(mode(dir.file("box/a"))?.uid == 0 && mode(dir.file("box/a"))?.mode == 0o1733)
        #expect(fm.fileExists(atPath: dir.file("box/a/mine")), "its owner's request is kept")
        #expect(!fm.fileExists(atPath: dir.file("box/a/roots")), "a file of someone else's in it stays aside")
        #expect(!fm.fileExists(atPath: dir.file("box/a/linked")), "so does one with another name")
    }
}
