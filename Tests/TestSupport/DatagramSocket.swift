import Foundation
import Glibc

/// An AF_UNIX datagram socket bound at a path, standing in for systemd's notify socket
/// or journald's socket: the same kind of peer they are, receiving what the daemon sends.
package final class DatagramSocket: @unchecked Sendable {
    package let path: String
    private let descriptor: Int32

    package init(path: String) throws {
        self.path = path
        unlink(path)
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < MemoryLayout.size(ofValue: address.sun_path), "socket path too long: \(path)")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard status == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// The next datagram, or nil when none arrives within `timeout`. It checks every few
    /// milliseconds without blocking, as `waitUntil` does, so waiting holds no thread of
    /// the test runner's pool.
    package func receive(timeout: Duration = .seconds(10)) async -> [UInt8]? {
        var datagram: [UInt8]?
        _ = await waitUntil(timeout: timeout) {
            datagram = takeDatagram()
            return datagram != nil
        }
        return datagram
    }

    /// The next datagram as text.
    package func receiveText(timeout: Duration = .seconds(10)) async -> String? {
        await receive(timeout: timeout).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every datagram that arrives within `timeout`, in order.
    package func receiveAll(for timeout: Duration) async -> [String] {
        var texts: [String] = []
        while let text = await receiveText(timeout: timeout) { texts.append(text) }
        return texts
    }

    /// Datagrams until one satisfies `condition` (returned) or `timeout` passes (nil).
    package func receive(until condition: (String) -> Bool, timeout: Duration = .seconds(10)) async -> (matched: String, before: [String])? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var before: [String] = []
        while ContinuousClock.now < deadline {
            guard let text = await receiveText(timeout: ContinuousClock.now.duration(to: deadline)) else { return nil }
            if condition(text) { return (text, before) }
            before.append(text)
        }
        return nil
    }

    /// A datagram already queued, or nil.
    private func takeDatagram() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return count < 0 ? nil : Array(buffer[0..<count])
    }
}

/// A journal entry in the native protocol's datagram form, decoded into its fields
/// (`NAME=value` lines, or `NAME`, a 64-bit little-endian length and the raw value).
package func journalFields(_ datagram: [UInt8]) -> [String: String]? {
    var fields: [String: String] = [:]
    var index = 0
    while index < datagram.count {
        guard let end = datagram[index...].firstIndex(where: { $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\n") }) else { return nil }
        let name = String(decoding: datagram[index..<end], as: UTF8.self)
        if datagram[end] == UInt8(ascii: "=") {
            guard let newline = datagram[end...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            fields[name] = String(decoding: datagram[(end + 1)..<newline], as: UTF8.self)
            index = newline + 1
        } else {
            guard end + 9 <= datagram.count else { return nil }
            var length: UInt64 = 0
            for (shift, byte) in datagram[(end + 1)..<(end + 9)].enumerated() { length |= UInt64(byte) << (8 * UInt64(shift)) }
            let start = end + 9, stop = start + Int(length)
            guard stop < datagram.count, datagram[stop] == UInt8(ascii: "\n") else { return nil }
            fields[name] = String(decoding: datagram[start..<stop], as: UTF8.self)
            index = stop + 1
        }
    }
    return fields
}
