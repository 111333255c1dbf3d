import Foundation
import Glibc
import Testing
@testable import StateStore

/// The files kept outside the state directory: only the daemon's user's own files, in a
/// directory only it writes to, are read; links are not followed.
@Suite struct StateRuntimeFilesTests {
    let root = "/srv/state"

    @Test func owedWritesRoundTripInTheUsersOwnDirectory() throws {
        let base = TempDirectory()
        defer { base.remove() }
        let files = StateRuntimeFiles(stateDirectory: root, base: base.path)
        try files.prepare()
        var info = stat()
        #expect(lstat(files.directory, &info) == 0 && info.st_mode & 0o777 == 0o711 && info.st_uid == geteuid())
        try files.saveOwed([root + "/results/a.json": Array("{}".utf8)], root: root)
        #expect(lstat(files.owedPath, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(try files.loadOwed(root: root) == [root + "/results/a.json": Array("{}".utf8)])
        files.writeHealth(Array("{\"pid\":1}".utf8))
        #expect(lstat(files.healthPath, &info) == 0 && info.st_mode & 0o777 == 0o644)
        #expect(files.readHealth() == Array("{\"pid\":1}".utf8))
        files.clearOwed()
        #expect(try files.loadOwed(root: root).isEmpty)
        #expect(base.names("jobdir-\(geteuid())") == [String(files.healthPath.split(separator: "/").last!)], "no temp file left")
    }

    @Test func aFileOfAnotherUserIsRefused() throws {
        guard geteuid() == 0 else { return }
        let base = TempDirectory()
        defer { base.remove() }
        let files = StateRuntimeFiles(stateDirectory: root, base: base.path)
        try files.prepare()
        try files.saveOwed([root + "/results/a.json": Array("{}".utf8)], root: root)
        files.writeHealth(Array("{}".utf8))
        #expect(chown(files.owedPath, 65534, 65534) == 0 && chown(files.healthPath, 65534, 65534) == 0)
        #expect(throws: StateRuntimeFiles.Failure.self) { try files.loadOwed(root: root) }
        #expect(files.readHealth() == nil)
    }

    @Test func aDirectoryOthersMayWriteToOrALinkIsRefused() throws {
        let base = TempDirectory()
        defer { base.remove() }
        let files = StateRuntimeFiles(stateDirectory: root, base: base.path)
        try files.prepare()
        try files.saveOwed([root + "/results/a.json": Array("{}".utf8)], root: root)
        #expect(chmod(files.directory, 0o777) == 0)
        #expect(throws: StateRuntimeFiles.Failure.self) { try files.loadOwed(root: root) }
        #expect(throws: StateRuntimeFiles.Failure.self) { try files.prepare() }
        #expect(throws: StateRuntimeFiles.Failure.self) { try files.saveOwed([:], root: root) }
        #expect(chmod(files.directory, 0o711) == 0)

        // A planted link to a file the user owns is not followed.
        let target = base.file("elsewhere.json")
        try StateRuntimeFiles(stateDirectory: root, base: base.path).saveOwed([:], root: root)
        #expect(rename(files.owedPath, target) == 0 && symlink(target, files.owedPath) == 0)
        #expect(throws: StateRuntimeFiles.Failure.self) { try files.loadOwed(root: root) }

        // The directory itself as a link.
        let other = TempDirectory()
        defer { other.remove() }
        let linked = StateRuntimeFiles(stateDirectory: root, base: other.path)
        #expect(symlink(files.directory, linked.directory) == 0)
        #expect(throws: StateRuntimeFiles.Failure.self) { try linked.prepare() }
    }

    @Test func eachUserHasItsOwnDirectory() {
        let mine = StateRuntimeFiles(stateDirectory: root, owner: 1000, base: "/dev/shm")
        #expect(mine.directory == "/dev/shm/jobdir-1000")
        #expect(mine.owedPath.hasPrefix("/dev/shm/jobdir-1000/") && mine.owedPath.hasSuffix(".owed.json"))
        #expect(StateRuntimeFiles(stateDirectory: "/other", owner: 1000, base: "/dev/shm").owedPath != mine.owedPath)
    }
}
