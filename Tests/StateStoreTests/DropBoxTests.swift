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
