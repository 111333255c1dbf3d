import Fleet
import Foundation

/// What etcd's JSON gateway sends back, as the fleet member reads it. The first byte picks
/// (modulo 2) an answer body or a watch stream:
///
/// - an answer: `EtcdResponses.object`, then every reading the member makes of it
///   (`revision`, `grant`, `keepAliveTTL`, `txn`, `keyValues`) and `FleetMember.host(in:)`
///   of each value found (another host's claim or done mark). A grant has a lease id; the
///   keys and ranges read are the ones in the body.
/// - a stream: the second byte sets the chunk size (1 to 256 bytes), the third the longest
///   line kept (16 bytes, 4 KiB or the default 4 MiB); the rest is fed to a `LineBuffer`
///   chunk by chunk and each line to `EtcdWatchMessage.decode`. The lines are the stream's
///   own, however it was cut: every non-empty newline-ended line up to the longest, in order.
enum EtcdTarget {
    static func run(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        if selector % 2 == 0 {
            answer(Array(bytes.dropFirst()))
        } else {
            stream(Array(bytes.dropFirst()))
        }
    }

    static func answer(_ body: [UInt8]) {
        guard case .success(let object) = EtcdResponses.object(body) else { return }
        _ = EtcdResponses.revision(object)
        _ = EtcdResponses.keepAliveTTL(object)
        if let grant = EtcdResponses.grant(object) {
            FuzzCheck.expect(grant.id != 0, "a grant with lease id 0")
        }
        let kvs = EtcdResponses.keyValues(object)
        FuzzCheck.expect(kvs.count == (object["kvs"] as? [[String: Any]])?.count ?? 0, "keys found are not the body's kvs")
        let txn = EtcdResponses.txn(object)
        let responses = object["responses"] as? [[String: Any]] ?? []
        FuzzCheck.expect(txn.ranges.count <= responses.count, "more ranges than responses in a txn")
        for kv in kvs + txn.ranges.joined() {
            _ = kv.text
            _ = FleetMember.host(in: kv.value)
        }
    }

    static func stream(_ bytes: [UInt8]) {
        guard bytes.count >= 2 else { return }
        let chunkSize = Int(bytes[0]) + 1
        let maxLine = [16, 4096, 4 << 20][Int(bytes[1]) % 3]
        let stream = Array(bytes.dropFirst(2))
        var buffer = LineBuffer(maxLine: maxLine)
        var lines: [[UInt8]] = []
        var start = 0
        while start < stream.count {
            let end = min(start + chunkSize, stream.count)
            stream[start..<end].withUnsafeBytes { lines += buffer.append($0) }
            start = end
        }
        // The stream cut at each newline; the part after the last one is not a line yet.
        var expected = stream.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        expected.removeLast()
        expected.removeAll { $0.isEmpty || $0.count > maxLine }
        FuzzCheck.expect(lines == expected, "the lines depend on how the stream was cut (chunks of \(chunkSize))")
        for line in lines {
            let message = EtcdWatchMessage.decode(line)
            if case .events(let events, _) = message {
                for event in events {
                    _ = FleetMember.host(in: event.kv.value)
                    _ = event.previous.map { FleetMember.host(in: $0.value) }
                }
            }
        }
    }
}
