import Glibc
import SystemCalls

/// The libc calls of this target beside the shared ones, retrying EINTR and throwing
/// `Errno`; descriptors are always opened close-on-exec.
extension Sys {
    /// An AF_UNIX datagram socket.
    static func datagramSocket() throws(Errno) -> Int32 {
        try retrying("socket") { socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
    }

    /// The address of a socket path; a leading `@` names an abstract socket (as systemd
    /// writes them into `NOTIFY_SOCKET`). Nil when the path is empty or too long.
    static func unixAddress(_ path: String) -> (address: sockaddr_un, length: socklen_t)? {
        var bytes = Array(path.utf8)
        guard !bytes.isEmpty else { return nil }
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        // Abstract names are exactly as long as given; paths end at their NUL.
        let length = MemoryLayout<sa_family_t>.size + bytes.count + (bytes[0] == 0 ? 0 : 1)
        return (address, socklen_t(length))
    }

    static func connect(_ fd: Int32, to path: String) throws(Errno) {
        guard let (target, length) = unixAddress(path) else { throw Errno(EINVAL, call: "connect") }
        var address = target
        _ = try retrying("connect") {
            withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) } }
        }
    }

    /// One datagram on a connected socket.
    static func send(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) {
        _ = try retrying("send") { bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
    }

    /// One datagram to `path`.
    static func send(_ fd: Int32, _ bytes: [UInt8], to path: String) throws(Errno) {
        guard let (target, length) = unixAddress(path) else { throw Errno(EINVAL, call: "sendto") }
        var address = target
        _ = try retrying("sendto") {
            bytes.withUnsafeBytes { buffer in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), $0, length)
                    }
                }
            }
        }
    }

    /// Device and inode of an open descriptor.
    static func identity(of fd: Int32) -> (device: UInt64, inode: UInt64)? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }
}
