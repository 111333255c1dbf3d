import Foundation
import Service
import Testing
import TestSupport

@Suite struct ServiceNotifierTests {
    @Test func sendsOneDatagramOfAssignments() async throws {
        let dir = try TemporaryDirectory("jobdir-notify")
        defer { dir.remove() }
        let systemd = try DatagramSocket(path: dir.url("notify"))
        let notifier = try #require(ServiceNotifier(environment: ["NOTIFY_SOCKET": systemd.path]))
        #expect(notifier.send(["READY=1", "STATUS=1 running,\n2 queued"]))
        #expect(await systemd.receiveText() == "READY=1\nSTATUS=1 running, 2 queued\n")
    }

    @Test func abstractSocketsAreNamedWithAnAt() throws {
        // systemd may hand out an abstract socket: `@name` (no file on disk).
        let name = "jobdir-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let receiver = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(receiver) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = [UInt8(0)] + Array(name.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(receiver, $0, length) } }
        try #require(bound == 0)
        let notifier = try #require(ServiceNotifier(environment: ["NOTIFY_SOCKET": "@" + name]))
        #expect(notifier.send(["STOPPING=1"]))
        var buffer = [UInt8](repeating: 0, count: 256)
        var poller = pollfd(fd: receiver, events: Int16(POLLIN), revents: 0)
        // Sent before send() returned: a local datagram is queued at once.
        try #require(poll(&poller, 1, 0) == 1)
        let count = recv(receiver, &buffer, buffer.count, 0)
        #expect(String(decoding: buffer[0..<max(0, count)], as: UTF8.self) == "STOPPING=1\n")
    }

    @Test func absentWithoutAServiceManager() {
        #expect(ServiceNotifier(environment: [:]) == nil)
        #expect(ServiceNotifier(environment: ["NOTIFY_SOCKET": ""]) == nil)
    }

    @Test func aVanishedManagerIsNotAnError() throws {
        let dir = try TemporaryDirectory("jobdir-notify")
        defer { dir.remove() }
        let notifier = try #require(ServiceNotifier(environment: ["NOTIFY_SOCKET": dir.url("gone")]))
        #expect(notifier.send(["READY=1"]) == false)
    }
}

@Suite struct JournalWriterTests {
    @Test func entriesCarryTheirFields() async throws {
        let dir = try TemporaryDirectory("jobdir-journal")
        defer { dir.remove() }
        let journald = try DatagramSocket(path: dir.url("socket"))
        let journal = try JournalWriter(socketPath: journald.path)
        #expect(journal.send([("MESSAGE", "finished job=backup state=failed"), ("PRIORITY", "4"), ("JOB", "backup"),
                              ("EXECUTION", "20261123T013000.000Z-cron-7f3a")]))
        let datagram = try #require(await journald.receive())
        #expect(String(decoding: datagram, as: UTF8.self)
            == "MESSAGE=finished job=backup state=failed\nPRIORITY=4\nJOB=backup\nEXECUTION=20261123T013000.000Z-cron-7f3a\n")
    }

    @Test func multiLineValuesAreLengthPrefixed() async throws {
        let dir = try TemporaryDirectory("jobdir-journal")
        defer { dir.remove() }
        let journald = try DatagramSocket(path: dir.url("socket"))
        let journal = try JournalWriter(socketPath: journald.path)
        let message = "invalid file=a.yaml\na.yaml:2:1: unknown key"
        #expect(journal.send([("MESSAGE", message), ("bad name", "dropped"), ("_PID", "forged"), ("PRIORITY", "4")]))
        let datagram = try #require(await journald.receive())
        var expected = Array("MESSAGE\n".utf8)
        expected += [UInt8(message.utf8.count), 0, 0, 0, 0, 0, 0, 0]
        expected += Array((message + "\nPRIORITY=4\n").utf8)
        #expect(datagram == expected)
        #expect(journalFields(datagram) == ["MESSAGE": message, "PRIORITY": "4"])
    }

    @Test func noJournalWithoutAListener() throws {
        let dir = try TemporaryDirectory("jobdir-journal")
        defer { dir.remove() }
        #expect(throws: (any Error).self) { try JournalWriter(socketPath: dir.url("nothing")) }
        #expect(JournalWriter.forServiceManager(environment: ["NOTIFY_SOCKET": "/x", "JOBDIR_JOURNAL_SOCKET": dir.url("nothing")]) == nil)
    }

    @Test func underSystemdWhenJournalStreamIsStderr() {
        let stderr = (device: UInt64(64769), inode: UInt64(123456))
        #expect(JournalWriter.isUnderServiceManager(environment: ["JOURNAL_STREAM": "64769:123456"], stderr: stderr))
        // Inherited by a process whose stderr was redirected elsewhere: not the journal.
        #expect(!JournalWriter.isUnderServiceManager(environment: ["JOURNAL_STREAM": "64769:999"], stderr: stderr))
        #expect(!JournalWriter.isUnderServiceManager(environment: ["JOURNAL_STREAM": "junk"], stderr: stderr))
        #expect(!JournalWriter.isUnderServiceManager(environment: [:], stderr: stderr))
        #expect(JournalWriter.isUnderServiceManager(environment: ["NOTIFY_SOCKET": "/run/systemd/notify"], stderr: nil))
    }
}
