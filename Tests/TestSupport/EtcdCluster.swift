import Foundation
import Glibc
import Synchronization

/// Real etcd members (Debian's `etcd-server`) started for a test on free 127.0.0.1 ports in
/// a temp directory; stopped (and the directory removed) by `stop()` or at deinit.
package final class EtcdCluster: @unchecked Sendable {
    package static let binary = "/usr/bin/etcd"
    /// Why fleet tests cannot run here, or nil when they can.
    package static var unavailable: String? {
        access(binary, X_OK) == 0 ? nil : "etcd is not installed (apt-get install etcd-server; Scripts/setup.sh --tests does it)"
    }

    package struct Member {
        package let name: String
        package let clientURL: String
        let peerURL: String
        let dataDirectory: String
        package var process: ChildProcess?
    }

    package private(set) var members: [Member]
    private let directory: TemporaryDirectory

    /// Starts `size` members and waits until the cluster answers.
    package init(size: Int = 1) async throws {
        directory = try TemporaryDirectory()
        var members: [Member] = []
        for index in 0..<size {
            let client = try Self.freePort(), peer = try Self.freePort()
            members.append(Member(name: "m\(index)", clientURL: "http://127.0.0.1:\(client)", peerURL: "http://127.0.0.1:\(peer)",
                                  dataDirectory: directory.path + "/m\(index)", process: nil))
        }
        self.members = members
        for index in members.indices { try launch(index) }
        guard await waitUntil(timeout: .seconds(20), { self.isHealthy }) else {
            let logs = members.map { (try? String(contentsOfFile: $0.dataDirectory + ".log", encoding: .utf8)) ?? "" }.joined(separator: "\n")
            stop()
            throw EtcdClusterError(message: "etcd did not become healthy in 20 s:\n\(logs.suffix(3000))")
        }
    }

    /// The client URLs, comma-separated, for `--fleet`.
    package var endpoints: String { members.map(\.clientURL).joined(separator: ",") }

    private var initialCluster: String { members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",") }

    private func launch(_ index: Int) throws {
        let member = members[index]
        // Appended to across restarts: a failing test's message shows every start.
        let log = member.dataDirectory + ".log"
        let process = try ChildProcess(Self.binary, [
            "--name", member.name, "--data-dir", member.dataDirectory,
            "--listen-client-urls", member.clientURL, "--advertise-client-urls", member.clientURL,
            "--listen-peer-urls", member.peerURL, "--initial-advertise-peer-urls", member.peerURL,
            "--initial-cluster", initialCluster, "--initial-cluster-state", "new",
            "--heartbeat-interval", "50", "--election-timeout", "500", "--logger", "zap",
        ], stdout: .file(log), stderr: .file(log))
        members[index].process = process
    }

    /// Whether a member answers `/health` with `"health":"true"`.
    package var isHealthy: Bool {
        members.contains { member in
            guard member.process?.isRunning == true else { return false }
            let result = try? ProcessRunner.run("/usr/bin/curl", ["-s", "-m", "1", member.clientURL + "/health"])
            return result?.stdout.contains("\"health\":\"true\"") == true
        }
    }

    /// Stops member `index` (SIGKILL when `kill`), keeping its data for `restart`.
    package func stop(member index: Int, kill useKill: Bool = false) {
        guard let process = members[index].process, process.isRunning else { return }
        process.signal(useKill ? SIGKILL : SIGTERM)
        process.wait()
        members[index].process = nil
    }

    /// Starts member `index` again on its data; waits until the cluster answers.
    package func restart(member index: Int) async throws {
        try await restart(members: [index])
    }

    /// Starts the members `indices` again on their data, all before waiting (a cluster all
    /// of whose members stopped answers only once a quorum is back); waits until it answers.
    package func restart(members indices: [Int]) async throws {
        for index in indices { try launch(index) }
        _ = await waitUntil(timeout: .seconds(20)) { self.isHealthy }
    }

    package func stop() {
        for index in members.indices { stop(member: index, kill: true) }
        directory.remove()
    }

    deinit { stop() }

    /// Ports already handed out by this process: the kernel may give a port it just gave
    /// (the socket that held it is closed), and one port named twice (a member's client and
    /// peer URLs) is one etcd cannot start on.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A port the kernel hands out for 127.0.0.1 now (closed again at once) that this
    /// process has not handed out before.
    package static func freePort() throws -> Int {
        for _ in 0..<100 {
            let port = try kernelPort()
            if handedOut.withLock({ $0.insert(port).inserted }) { return port }
        }
        throw EtcdClusterError(message: "no free port not handed out before")
    }

    private static func kernelPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw EtcdClusterError(message: "no free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

package struct EtcdClusterError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}
